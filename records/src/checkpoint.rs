//! Signed checkpoints in the C2SP `tlog-checkpoint` note format: the log's origin, its size and
//! its Merkle tree head in base64, a blank line, and one signature line per key
//! (`— <key name> <base64(key id || Ed25519 signature)>`). Keys use the same text forms as Go's
//! `golang.org/x/mod/sumdb/note`: a signer key `PRIVATE+KEY+<name>+<id>+<base64(1 || seed)>` and
//! a verifier key `<name>+<id>+<base64(1 || public key)>`, the id being the first four bytes of
//! SHA-256(name || "\n" || 1 || public key).
//!
//! It takes heads and key texts and gives note texts and checks of them; it never reads a store.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::RecordsError;
use crate::hash::Hash;

/// The algorithm byte of an Ed25519 key in the note key formats.
const ED25519: u8 = 1;

fn key_id(name: &str, public: &VerifyingKey) -> [u8; 4] {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update(b"\n");
    hasher.update([ED25519]);
    hasher.update(public.as_bytes());
    let digest = hasher.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// A key name may not hold spaces or `+` (they separate the parts of a key's text).
fn check_name(name: &str) -> Result<(), RecordsError> {
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c == '+') {
        return Err(RecordsError::new(format!(
            "`{name}` cannot name a key: use letters, digits, `.`, `-` or `/`, without spaces or `+`"
        )));
    }
    Ok(())
}

/// A key that signs checkpoints.
pub struct Signer {
    name: String,
    id: [u8; 4],
    key: SigningKey,
}

/// A key that checks checkpoints' signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verifier {
    pub name: String,
    id: [u8; 4],
    key: VerifyingKey,
}

impl Signer {
    /// A new key from the system's randomness.
    pub fn generate(name: &str) -> Result<Signer, RecordsError> {
        check_name(name)?;
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|error| {
            RecordsError::new(format!("cannot draw a random key from the system: {error}"))
        })?;
        let key = SigningKey::from_bytes(&seed);
        Ok(Signer {
            name: name.to_string(),
            id: key_id(name, &key.verifying_key()),
            key,
        })
    }

    /// Reads a signer key's text (`PRIVATE+KEY+...`); `source` names where it came from.
    pub fn parse(text: &str, source: &str) -> Result<Signer, RecordsError> {
        let bad = |why: &str| {
            RecordsError::new(format!(
                "{source} is not a signing key ({why}): expected `PRIVATE+KEY+<name>+<id>+<key>`, \
                 as `cordon records keygen` writes"
            ))
        };
        let parts: Vec<&str> = text.trim().splitn(5, '+').collect();
        let [private, key_word, name, id, key] = parts.as_slice() else {
            return Err(bad("it does not have five parts"));
        };
        if *private != "PRIVATE" || *key_word != "KEY" {
            return Err(bad("it does not start with `PRIVATE+KEY+`"));
        }
        let bytes = BASE64
            .decode(key)
            .map_err(|_| bad("its key is not base64"))?;
        let Some((&ED25519, seed)) = bytes.split_first() else {
            return Err(bad("its key is not an Ed25519 key"));
        };
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| bad("its key is not 32 bytes"))?;
        let key = SigningKey::from_bytes(&seed);
        let signer = Signer {
            name: name.to_string(),
            id: key_id(name, &key.verifying_key()),
            key,
        };
        if crate::hash::hex(&signer.id) != *id {
            return Err(bad("its id does not match its name and key"));
        }
        Ok(signer)
    }

    /// The signer key's text.
    pub fn to_text(&self) -> String {
        let mut bytes = vec![ED25519];
        bytes.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{}+{}",
            self.name,
            crate::hash::hex(&self.id),
            BASE64.encode(bytes)
        )
    }

    pub fn verifier(&self) -> Verifier {
        Verifier {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// The signed checkpoint note of a log of `size` records whose tree head is `root`.
    pub fn sign(&self, origin: &str, size: u64, root: &Hash) -> String {
        let body = format!("{origin}\n{size}\n{}\n", BASE64.encode(root));
        let signature = self.key.sign(body.as_bytes());
        let mut signed = self.id.to_vec();
        signed.extend_from_slice(&signature.to_bytes());
        format!("{body}\n\u{2014} {} {}\n", self.name, BASE64.encode(signed))
    }
}

impl Verifier {
    /// Reads a verifier key's text (`<name>+<id>+<key>`); `source` names where it came from.
    pub fn parse(text: &str, source: &str) -> Result<Verifier, RecordsError> {
        let bad = |why: &str| {
            RecordsError::new(format!(
                "{source} is not a public key ({why}): expected `<name>+<id>+<key>`, as \
                 `cordon records keygen` writes to its `.pub` file"
            ))
        };
        let parts: Vec<&str> = text.trim().splitn(3, '+').collect();
        let [name, id, key] = parts.as_slice() else {
            return Err(bad("it does not have three parts"));
        };
        let bytes = BASE64
            .decode(key)
            .map_err(|_| bad("its key is not base64"))?;
        let Some((&ED25519, public)) = bytes.split_first() else {
            return Err(bad("its key is not an Ed25519 key"));
        };
        let public: [u8; 32] = public
            .try_into()
            .map_err(|_| bad("its key is not 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&public).map_err(|_| bad("its key is not a point"))?;
        let verifier = Verifier {
            name: name.to_string(),
            id: key_id(name, &key),
            key,
        };
        if crate::hash::hex(&verifier.id) != *id {
            return Err(bad("its id does not match its name and key"));
        }
        Ok(verifier)
    }

    /// The verifier key's text.
    pub fn to_text(&self) -> String {
        let mut bytes = vec![ED25519];
        bytes.extend_from_slice(self.key.as_bytes());
        format!(
            "{}+{}+{}",
            self.name,
            crate::hash::hex(&self.id),
            BASE64.encode(bytes)
        )
    }
}

/// A checkpoint note, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// The signed body (the first three lines, each with its newline).
    body: String,
    /// Each signature line: the key name, the key id and the signature.
    signatures: Vec<(String, [u8; 4], Vec<u8>)>,
}

impl Checkpoint {
    /// Reads a note; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Checkpoint, String> {
        let Some((body, signatures)) = text.split_once("\n\n") else {
            return Err("it has no blank line before its signatures".to_string());
        };
        let lines: Vec<&str> = body.split('\n').collect();
        let [origin, size, root] = lines.as_slice() else {
            return Err(format!(
                "its body has {} lines, not three (origin, size, root hash)",
                lines.len()
            ));
        };
        let size: u64 = size
            .parse()
            .map_err(|_| format!("its size `{size}` is not a number"))?;
        let root: Hash = BASE64
            .decode(root)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| format!("its root hash `{root}` is not 32 bytes in base64"))?;
        let mut read = Vec::new();
        for line in signatures.lines().filter(|line| !line.is_empty()) {
            let Some(rest) = line.strip_prefix("\u{2014} ") else {
                return Err(format!(
                    "`{line}` is not a signature line (`— name signature`)"
                ));
            };
            let Some((name, signature)) = rest.split_once(' ') else {
                return Err(format!("`{line}` has no signature after the key name"));
            };
            let bytes = BASE64
                .decode(signature)
                .map_err(|_| format!("the signature of `{name}` is not base64"))?;
            if bytes.len() != 68 {
                return Err(format!(
                    "the signature of `{name}` is not an Ed25519 signature"
                ));
            }
            let id = [bytes[0], bytes[1], bytes[2], bytes[3]];
            read.push((name.to_string(), id, bytes[4..].to_vec()));
        }
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
            body: format!("{body}\n"),
            signatures: read,
        })
    }

    /// Whether `key` signed it; the error says why not (unsigned, signed by another key, or a
    /// signature that does not match).
    pub fn check_signature(&self, key: &Verifier) -> Result<(), String> {
        let mut others = Vec::new();
        for (name, id, signature) in &self.signatures {
            if *name != key.name || *id != key.id {
                others.push(format!("`{name}` (id {})", crate::hash::hex(id)));
                continue;
            }
            let signature = ed25519_dalek::Signature::from_slice(signature)
                .map_err(|_| "its signature is malformed".to_string())?;
            return key
                .key
                .verify(self.body.as_bytes(), &signature)
                .map_err(|_| format!("its signature by `{}` does not match its text", key.name));
        }
        if others.is_empty() {
            Err("it is not signed".to_string())
        } else {
            Err(format!(
                "it is not signed by `{}` (id {}) but by {}",
                key.name,
                crate::hash::hex(&key.id),
                others.join(", ")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_round_trips_and_checks() -> Result<(), Box<dyn std::error::Error>> {
        let signer = Signer::generate("example.com/records")?;
        let again = Signer::parse(&signer.to_text(), "the key")?;
        let verifier = Verifier::parse(&signer.verifier().to_text(), "the public key")?;
        assert_eq!(verifier, again.verifier());
        let note = signer.sign("example.com/log", 7, &[3; 32]);
        let checkpoint = Checkpoint::parse(&note)?;
        assert_eq!((checkpoint.size, checkpoint.root), (7, [3; 32]));
        assert_eq!(checkpoint.check_signature(&verifier), Ok(()));
        let other = Signer::generate("example.com/records")?.verifier();
        assert!(checkpoint.check_signature(&other).is_err());
        let forged = note.replace("\n7\n", "\n8\n");
        assert!(
            Checkpoint::parse(&forged)?
                .check_signature(&verifier)
                .is_err()
        );
        Ok(())
    }
}
