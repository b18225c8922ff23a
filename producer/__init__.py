"""Producer: replays well readings into Kinesis."""
