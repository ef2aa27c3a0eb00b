/*!
Fuzz target: data URLs and magic-byte sniffing (`switchyard_core::media::
{decode_data_url, sniff}`). Any bytes: sniffing never panics and a data URL
built from them (with the sniffed MIME type) decodes back to them; the
bytes read as text decode as a data URL or give an error saying why.
*/
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchyard_core::media::{data_url, decode_data_url, sniff};

fuzz_target!(|data: &[u8]| {
    let format = sniff(data);
    if let Some(f) = format {
        assert!(!f.mime().is_empty() && !f.extension().is_empty());
        assert!(!(f.is_image() && f.is_video()));
    }
    let mime = format.map_or("application/octet-stream", |f| f.mime());
    let url = data_url(mime, data);
    assert_eq!(decode_data_url(&url), Ok((mime.to_string(), data.to_vec())));

    let text = String::from_utf8_lossy(data);
    for candidate in [text.to_string(), format!("data:{text}")] {
        match decode_data_url(&candidate) {
            Ok((m, _)) => assert!(candidate.len() >= m.len()),
            Err(e) => assert!(!e.is_empty()),
        }
    }
});
