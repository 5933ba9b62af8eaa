//! Owns the commands of the authoring workflow (`fmt`, `test`, `lsp`): each turns its arguments into
//! library calls, prints, and returns an exit code. The older commands are still in `main.rs`.

pub mod files;
pub mod fmt;
pub mod test;
