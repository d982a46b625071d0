//! Every operation of every workload, failed in turn.
