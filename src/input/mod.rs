//! Input: finding the files ([`discover`]), opening them whatever their compression
//! ([`decompress`]), and cutting their bytes into chunks of whole lines ([`chunk`]).

pub mod chunk;
pub mod decompress;
pub mod discover;

pub use discover::Input;
