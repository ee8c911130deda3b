//! What a source's first bytes say about how it was packed, and a reader that unpacks it: shops
//! and their platforms hand over `orders.csv.gz` and `orders.csv.zst` as often as plain CSV, and
//! workbooks (read by `workbook`), also under a `.csv` name. The magic bytes decide, never the file name, so a
//! gzipped export piped into stdin reads the same as the file.

use std::io::{self, Cursor, Read};

/// How a source is packed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Packing {
    Plain,
    /// gzip (RFC 1952), possibly several members back to back, as `cat a.gz b.gz` makes.
    Gzip,
    /// Zstandard frames.
    Zstd,
    /// A zip container: an `.xlsx` or `.ods` workbook (or a zipped CSV).
    Zip,
    /// An OLE2 compound file: a legacy `.xls` workbook.
    Ole2,
}

/// Reads up to the first 8 bytes of `reader` and returns its packing with a reader that yields
/// the unpacked bytes, those first bytes included.
pub(crate) fn unpack<'r, R: Read + Send + 'r>(mut reader: R) -> io::Result<(Packing, Box<dyn Read + Send + 'r>)> {
    let mut head = [0u8; 8];
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let head = &head[..filled];
    let packing = if head.starts_with(&[0x1f, 0x8b]) {
        Packing::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Packing::Zstd
    } else if head.starts_with(b"PK\x03\x04") {
        Packing::Zip
    } else if head.starts_with(&[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]) {
        Packing::Ole2
    } else {
        Packing::Plain
    };
    let whole = Cursor::new(head.to_vec()).chain(reader);
    let unpacked: Box<dyn Read + Send + 'r> = match packing {
        Packing::Gzip => Box::new(flate2::read::MultiGzDecoder::new(whole)),
        Packing::Zstd => Box::new(zstd::stream::read::Decoder::new(whole)?),
        _ => Box::new(whole),
    };
    Ok((packing, unpacked))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const CSV: &[u8] = b"customer_id,timestamp,amount\na,2024-01-03,5\n";

    fn read_all(packed: &[u8]) -> (Packing, Vec<u8>) {
        let (packing, mut r) = unpack(packed).unwrap();
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        (packing, out)
    }

    #[test]
    fn plain_gzip_and_zstd_read_the_same() {
        assert_eq!(read_all(CSV), (Packing::Plain, CSV.to_vec()));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(CSV).unwrap();
        let mut gz = gz.finish().unwrap();
        assert_eq!(read_all(&gz), (Packing::Gzip, CSV.to_vec()));
        // Two members back to back (`cat a.gz b.gz`) are one stream.
        let second = gz.clone();
        gz.extend_from_slice(&second);
        assert_eq!(read_all(&gz).1, [CSV, CSV].concat());
        let zst = zstd::stream::encode_all(CSV, 3).unwrap();
        assert_eq!(read_all(&zst), (Packing::Zstd, CSV.to_vec()));
        // Shorter than the magic: plain.
        assert_eq!(read_all(b"a\n"), (Packing::Plain, b"a\n".to_vec()));
        assert_eq!(read_all(b"").0, Packing::Plain);
    }

    #[test]
    fn workbooks_are_recognised() {
        assert_eq!(read_all(b"PK\x03\x04rest").0, Packing::Zip);
        assert_eq!(read_all(&[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0]).0, Packing::Ole2);
    }

    /// A damaged gzip stream is an error from the reader, not a panic or silent truncation.
    #[test]
    fn damaged_gzip_is_an_error() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(CSV).unwrap();
        let mut gz = gz.finish().unwrap();
        let n = gz.len();
        gz[n / 2] ^= 0xff;
        let (_, mut r) = unpack(&gz[..]).unwrap();
        let e = r.read_to_end(&mut Vec::new()).unwrap_err();
        assert!(matches!(e.kind(), std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData), "{e:?}");
    }
}
