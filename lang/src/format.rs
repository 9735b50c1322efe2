//! The one canonical layout of a policy file (`cordon fmt`). Being written.
