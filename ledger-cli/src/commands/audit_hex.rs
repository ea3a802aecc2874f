//! Hex decoding for export lines, by table: every byte string of an entry (its command, keys,
//! signatures and hashes, about 250 bytes a payment) is hex, and `audit verify` decodes a million
//! lines or more. The `hex` crate checks each digit with branches; a 256-entry table and one check
//! per string cost less (BENCHMARKS.md, "## Audit", says how much).

/// The value of each byte as a hex digit, or [`NOT_HEX`]. Upper and lower case are accepted, as
/// the `hex` crate accepts them.
const DIGITS: [u8; 256] = {
    let mut digits = [NOT_HEX; 256];
    let mut value = 0;
    while value < 16 {
        digits[b"0123456789abcdef"[value] as usize] = value as u8;
        digits[b"0123456789ABCDEF"[value] as usize] = value as u8;
        value += 1;
    }
    digits
};

/// Marks a byte that is not a hex digit; its high bits are set, which no digit's value has.
const NOT_HEX: u8 = 0xff;

/// Why a text is not the hex of the bytes asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotHex;

/// Decodes `text` into `out`, which it must fill exactly (two digits a byte).
pub fn decode_into(text: &str, out: &mut [u8]) -> Result<(), NotHex> {
    let text = text.as_bytes();
    if text.len() != out.len() * 2 {
        return Err(NotHex);
    }
    // Decode everything, then look at once whether any byte was not a digit: no branch per digit.
    let mut seen = 0u8;
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        let (high, low) = (DIGITS[usize::from(pair[0])], DIGITS[usize::from(pair[1])]);
        seen |= high | low;
        *byte = (high << 4) | low;
    }
    if seen & 0xf0 != 0 { Err(NotHex) } else { Ok(()) }
}

/// The bytes `text` holds in hex.
pub fn decode(text: &str) -> Result<Vec<u8>, NotHex> {
    if !text.len().is_multiple_of(2) {
        return Err(NotHex);
    }
    let mut bytes = vec![0; text.len() / 2];
    decode_into(text, &mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_decodes_what_the_hex_crate_decodes_and_refuses_what_it_refuses() {
        let every_byte: Vec<u8> = (0..=255).collect();
        for text in [hex::encode(&every_byte), hex::encode_upper(&every_byte), "aB09".into(), String::new()] {
            assert_eq!(decode(&text), Ok(hex::decode(&text).unwrap()), "{text}");
        }
        for text in ["0", "abc", "0g", "g0", "zz", " 0a", "0a ", "é0", "+1", "-1"] {
            assert!(hex::decode(text).is_err(), "{text}");
            assert_eq!(decode(text), Err(NotHex), "{text}");
        }
    }

    #[test]
    fn the_output_must_be_filled_exactly() {
        let mut four = [0; 4];
        assert_eq!(decode_into("00112233", &mut four), Ok(()));
        assert_eq!(four, [0x00, 0x11, 0x22, 0x33]);
        assert_eq!(decode_into("001122", &mut four), Err(NotHex));
        assert_eq!(decode_into("0011223344", &mut four), Err(NotHex));
    }
}
