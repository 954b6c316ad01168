//! Every JSON body the API takes (server::http::bodies): the first byte picks the kind, the rest
//! is the body, decoded as its handler decodes it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, body)) = data.split_first() else { return };
    let _ = carclub_server::http::bodies::decode(kind, body);
});
