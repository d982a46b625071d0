//! Parses arbitrary bytes as a checkpoint (C2SP tlog-checkpoint, signed or not) and as the
//! body of a checkpoint record.
//!
//! Oracle: never panics; a parsed checkpoint re-encodes to exactly the bytes it came from, and
//! its text is the one its origin, size and root give; a decoded checkpoint record body
//! re-encodes to the same bytes and its frontier hashes to its root.
//!
//! Run from `fuzz/`: `mkdir -p corpus/parse_checkpoint && cargo +nightly fuzz run parse_checkpoint corpus/parse_checkpoint -- -max_total_time=60`

#![no_main]

use libfuzzer_sys::fuzz_target;
use strata::format::leaf::CheckpointBody;
use strata::note::Checkpoint;

fuzz_target!(|data: &[u8]| {
    if let Ok(checkpoint) = Checkpoint::parse(data) {
        assert_eq!(checkpoint.encode().as_bytes(), data);
        assert_eq!(
            checkpoint.text(),
            Checkpoint::text_of(&checkpoint.origin, checkpoint.size, &checkpoint.root)
        );
    }
    if let Ok(body) = CheckpointBody::decode(data) {
        assert_eq!(body.encode(), data);
        assert_eq!(body.frontier().root(), body.root);
    }
});
