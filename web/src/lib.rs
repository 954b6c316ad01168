//! The web app binding.
