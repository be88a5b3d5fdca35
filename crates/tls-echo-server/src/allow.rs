//! `--allow CIDR`: which client addresses the server talks to (tutorial 004: "limit which
//! addresses may connect").
//!
//! A CIDR block is an address and a prefix length: `192.168.1.0/24` is every address whose
//! first 24 bits are those of `192.168.1.0`, that is 192.168.1.0 to 192.168.1.255. A plain
//! address (`127.0.0.1`, `::1`) is a block of one.
//!
//! Written here rather than taken from a crate (`ipnet` does it well): it is twenty lines of
//! bit masks, and seeing them is the point of the step. Python has it in the standard library:
//! `ipaddress.ip_address(addr) in ipaddress.ip_network("10.0.0.0/8")`.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// One `--allow` block: the addresses that share their first `prefix` bits with `network`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// The block's first address, its host bits already cleared (`10.1.2.3/8` is kept as
    /// `10.0.0.0/8`, as Python's `ip_network(..., strict=False)` does).
    network: IpAddr,
    /// How many leading bits an address must share with `network`: 0 to 32 for IPv4, 0 to 128
    /// for IPv6.
    prefix: u8,
}

impl Cidr {
    /// Whether `address` is in this block. An IPv4 client of a server listening on `::` shows
    /// up as `::ffff:127.0.0.1`; it is compared as the IPv4 address it is.
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = mask_v4(self.prefix);
                u32::from(address) & mask == u32::from(network)
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = mask_v6(self.prefix);
                u128::from(address) & mask == u128::from(network)
            }
            _ => false, // an IPv4 block never holds an IPv6 address, nor the other way round
        }
    }
}

/// The first `prefix` bits set: 24 gives 255.255.255.0. (A shift by 32 would overflow, hence
/// `checked_shl`.)
fn mask_v4(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask_v6(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

impl FromStr for Cidr {
    type Err = String;

    /// `10.0.0.0/8`, `::1/128`, or a plain address. For clap's `value_parser`.
    fn from_str(text: &str) -> Result<Cidr, String> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address.parse().map_err(|_| {
            format!("'{address}' is not an IP address (e.g. 127.0.0.1/32, 10.0.0.0/8, ::1)")
        })?;
        let bits = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(prefix) => match prefix.parse::<u8>() {
                Ok(prefix) if prefix <= bits => prefix,
                _ => return Err(format!("the prefix after '/' is a number from 0 to {bits}")),
            },
        };
        let network = match address {
            IpAddr::V4(address) => IpAddr::V4((u32::from(address) & mask_v4(prefix)).into()),
            IpAddr::V6(address) => IpAddr::V6((u128::from(address) & mask_v6(prefix)).into()),
        };
        Ok(Cidr { network, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(text: &str) -> Cidr {
        text.parse().expect("a valid CIDR")
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an IP address")
    }

    #[test]
    fn a_block_holds_the_addresses_that_share_its_prefix() {
        let block = cidr("192.168.1.0/24");
        assert!(block.contains(ip("192.168.1.0")));
        assert!(block.contains(ip("192.168.1.255")));
        assert!(!block.contains(ip("192.168.2.1")));
        assert!(cidr("10.0.0.0/8").contains(ip("10.200.3.4")));
        assert!(!cidr("10.0.0.0/8").contains(ip("11.0.0.1")));
    }

    #[test]
    fn a_plain_address_is_a_block_of_one() {
        assert_eq!(cidr("127.0.0.1"), cidr("127.0.0.1/32"));
        assert!(cidr("127.0.0.1").contains(ip("127.0.0.1")));
        assert!(!cidr("127.0.0.1").contains(ip("127.0.0.2")));
        assert!(cidr("::1").contains(ip("::1")));
        assert!(!cidr("::1").contains(ip("::2")));
    }

    #[test]
    fn prefix_0_holds_everything_of_its_family_only() {
        assert!(cidr("0.0.0.0/0").contains(ip("203.0.113.9")));
        assert!(!cidr("0.0.0.0/0").contains(ip("::1")));
        assert!(cidr("::/0").contains(ip("2001:db8::1")));
        assert!(!cidr("::/0").contains(ip("127.0.0.1")));
    }

    #[test]
    fn host_bits_are_cleared_and_ipv4_mapped_clients_match_ipv4_blocks() {
        assert_eq!(cidr("10.1.2.3/8").to_string(), "10.0.0.0/8");
        assert_eq!(cidr("2001:db8::1/32").to_string(), "2001:db8::/32");
        assert!(cidr("127.0.0.0/8").contains(ip("::ffff:127.0.0.1")));
        assert!(cidr("fe80::/10").contains(ip("fe80::1234")));
    }

    #[test]
    fn bad_blocks_say_what_is_wrong() {
        assert!(
            "localhost"
                .parse::<Cidr>()
                .expect_err("a name")
                .contains("not an IP address")
        );
        assert!(
            "10.0.0.0/33"
                .parse::<Cidr>()
                .expect_err("too long")
                .contains("0 to 32")
        );
        assert!(
            "::/129"
                .parse::<Cidr>()
                .expect_err("too long")
                .contains("0 to 128")
        );
        assert!("10.0.0.0/".parse::<Cidr>().is_err());
        assert!("10.0.0.0/-1".parse::<Cidr>().is_err());
    }
}
