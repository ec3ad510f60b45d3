-- Layout rows end after their last node: their data is a multiple of 24
-- bytes, up to 1024 slots, where it was always 1024 slots. A graph that
-- grows by single nodes rewrites half a row per commit on average, not a
-- whole one. Stored rows stay as they are (whole rows still read); the
-- version step keeps an older VisionFlow, which would refuse short rows
-- as damaged, from opening the file.
SELECT 1;
