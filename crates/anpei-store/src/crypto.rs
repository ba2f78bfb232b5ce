//! Field encryption of personal data: SM4-GCM (GB/T 32907 block cipher in GCM mode, an
//! authenticated encryption) with a random 96-bit nonce per value, and a blind index
//! (HMAC-SHA-256 under a second, derived key) to find a value without
//! decrypting it. The 32-byte master key comes from configuration or from a file generated
//! at first start in the data directory with mode 0600.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{AesGcm, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::Path;

type Sm4Gcm = AesGcm<sm4::Sm4, aes_gcm::aead::consts::U12>;
type HmacSha256 = Hmac<Sha256>;

const NONCE_LEN: usize = 12;
/// Version byte in front of every ciphertext, so the scheme can change later.
const VERSION: u8 = 1;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("密钥格式错误：应为64位十六进制字符")]
    BadKey,
    #[error("密文损坏或密钥不符")]
    Decrypt,
    #[error("无法读写密钥文件 {path}: {source}")]
    KeyFile {
        path: String,
        source: std::io::Error,
    },
}

/// Keys for encrypting and indexing personal data.
#[derive(Clone)]
pub struct Crypto {
    cipher: Sm4Gcm,
    /// HMAC keyed once; each index clones this state (imports compute millions).
    index_mac: HmacSha256,
    /// Signs backup manifests (`backup`): a key of its own, derived like the others.
    manifest_mac: HmacSha256,
}

impl std::fmt::Debug for Crypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Crypto(..)")
    }
}

impl Crypto {
    /// Derives the encryption key and the blind-index key from one 32-byte master key.
    pub fn from_master_key(master: &[u8; 32]) -> Self {
        let derive = |label: &[u8]| -> [u8; 32] {
            let mut mac = <HmacSha256 as Mac>::new_from_slice(master).expect("any key length");
            mac.update(label);
            mac.finalize().into_bytes().into()
        };
        let enc = derive(b"anpei/field-encryption/v1");
        let cipher = Sm4Gcm::new_from_slice(&enc[..16]).expect("SM4 takes 16 bytes");
        let index_key = derive(b"anpei/blind-index/v1");
        let index_mac = <HmacSha256 as Mac>::new_from_slice(&index_key).expect("any key length");
        let manifest_key = derive(b"anpei/backup-manifest/v1");
        let manifest_mac =
            <HmacSha256 as Mac>::new_from_slice(&manifest_key).expect("any key length");
        Self {
            cipher,
            index_mac,
            manifest_mac,
        }
    }

    /// HMAC-SHA-256 (hex) of a backup manifest under the manifest key, derived from the
    /// master key with the label `anpei/backup-manifest/v1`: a backup edited consistently
    /// (data and manifest together) is still caught, and only the same master key accepts it.
    pub fn sign_manifest(&self, manifest: &[u8]) -> String {
        let mut mac = self.manifest_mac.clone();
        mac.update(manifest);
        hex::encode(mac.finalize().into_bytes())
    }

    /// Checks a manifest signature in constant time.
    pub fn verify_manifest(&self, manifest: &[u8], signature_hex: &str) -> bool {
        let Ok(sig) = hex::decode(signature_hex) else {
            return false;
        };
        let mut mac = self.manifest_mac.clone();
        mac.update(manifest);
        mac.verify_slice(&sig).is_ok()
    }

    /// Parses a master key given as 64 hex characters (configuration `ANPEI_MASTER_KEY`).
    pub fn from_hex(hex_key: &str) -> Result<Self, CryptoError> {
        let bytes = hex::decode(hex_key.trim()).map_err(|_| CryptoError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::BadKey)?;
        Ok(Self::from_master_key(&key))
    }

    /// Reads `master.key` from the data directory, creating it (mode 0600) on first start.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, CryptoError> {
        let path = data_dir.join("master.key");
        let io_err = |source| CryptoError::KeyFile {
            path: path.display().to_string(),
            source,
        };
        if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(io_err)?;
            return Self::from_hex(&text);
        }
        crate::platform::files::create_private_dir_all(data_dir).map_err(io_err)?;
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        write_private(&path, hex::encode(key).as_bytes()).map_err(io_err)?;
        Ok(Self::from_master_key(&key))
    }

    pub fn encrypt(&self, plain: &str) -> Vec<u8> {
        // A fresh 96-bit nonce from the thread's CSPRNG (ChaCha, seeded and reseeded from
        // the OS): random nonces never repeat in practice, and no system call per value.
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .expect("SM4-GCM encryption of a short value cannot fail");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    pub fn decrypt(&self, data: &[u8]) -> Result<String, CryptoError> {
        if data.len() < 1 + NONCE_LEN || data[0] != VERSION {
            return Err(CryptoError::Decrypt);
        }
        let (nonce, ct) = data[1..].split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| CryptoError::Decrypt)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Decrypt)
    }

    /// The keyed hash of a normalised value: equal values give equal indexes, and without
    /// the key the index tells nothing about the value.
    pub fn blind_index(&self, normalized: &str) -> String {
        let mut mac = self.index_mac.clone();
        mac.update(normalized.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The blind index of a phone number: its digits only, so `023-6782 4066` and
    /// `02367824066` match, and in a space of its own (a phone never matches an ID).
    pub fn phone_index(&self, phone: &str) -> String {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        self.blind_index(&format!("tel:{digits}"))
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = crate::platform::files::create_private_file(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// SHA-256 as lower-case hex (session token hashes, audit chain, file names).
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// A fresh random secret of 32 bytes as hex (session ids, CSRF tokens, API tokens).
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crypto() -> Crypto {
        Crypto::from_master_key(&[7u8; 32])
    }

    #[test]
    fn encrypts_and_decrypts_a_value() {
        let c = crypto();
        let ct = c.encrypt("11010519491231002X");
        assert!(!ct.windows(6).any(|w| w == b"110105"));
        assert_eq!(c.decrypt(&ct).unwrap(), "11010519491231002X");
    }

    #[test]
    fn the_same_value_encrypts_differently_each_time_but_indexes_the_same() {
        let c = crypto();
        assert_ne!(c.encrypt("13812341234"), c.encrypt("13812341234"));
        assert_eq!(c.blind_index("13812341234"), c.blind_index("13812341234"));
        assert_ne!(c.blind_index("13812341234"), c.blind_index("13812341235"));
    }

    #[test]
    fn a_tampered_ciphertext_or_another_key_is_refused() {
        let c = crypto();
        let mut ct = c.encrypt("secret");
        let last = ct.len() - 1;
        ct[last] ^= 1;
        assert!(c.decrypt(&ct).is_err());
        let ct = c.encrypt("secret");
        assert!(Crypto::from_master_key(&[8u8; 32]).decrypt(&ct).is_err());
    }

    #[test]
    fn a_generated_key_file_is_private_and_reused() {
        let dir = std::env::temp_dir().join(format!("anpei-key-{}", random_token()));
        let a = Crypto::load_or_create(&dir).unwrap();
        let b = Crypto::load_or_create(&dir).unwrap();
        assert_eq!(a.blind_index("x"), b.blind_index("x"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("master.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
