//! The sync frame decoder: every WebSocket binary frame a device or a JS peer sends to `/sync`.
//! Whatever the bytes, `Message::decode` answers a message or an error; a message it answers
//! encodes to a frame that decodes to the same message. A page of documents it carries unpacks
//! to documents or an error.
#![no_main]

use carclub_protocol::pack;
use carclub_protocol::wire::Message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|frame: &[u8]| {
    if let Ok(message) = Message::decode(frame) {
        let again = Message::decode(&message.encode()).expect("an encoded message decodes");
        assert_eq!(again, message, "a message survives encoding");
        if let Message::Documents { data, .. } = &message {
            let _ = pack::unpack(data);
        }
    }
});
