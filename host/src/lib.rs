/*!
The switchyard host: everything between the command line and a provider
plugin's entry points.

It owns the manifest scan and lookup table ([`registry`]), loading and
checking plugin libraries ([`loader`]), the config file and secret redaction
([`config`], [`secrets`]), the capability check against declared model
limits ([`check`]), calling a plugin with host callbacks and atomic output
files ([`call`], [`output`], made durable by [`durable`]), failover ([`failover`]), the video job journal
([`journal`]) and the CLI commands ([`cli`], [`commands`]).

Only `switchyard-plugin-api` knows the ABI types; this crate converts them
to plain Rust at the edge ([`loader::Plugin`]) and never links a plugin crate.
*/

#![warn(missing_docs)]

pub mod batch;
pub mod call;
pub mod catalog;
pub mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub mod config_edit;
pub mod config_schema;
pub mod contract;
pub mod durable;
pub mod duration;
pub mod error;
pub mod estimate;
pub mod failover;
pub mod journal;
pub mod loader;
pub mod manifest;
pub mod media;
pub mod output;
pub mod registry;
pub mod secrets;
pub mod spend;
pub mod term;
