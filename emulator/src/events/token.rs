//! Events API bearer tokens: ES256-signed JWTs in 1Password's shape (§5.1).
//!
//! Official clients decode the token without verifying it: `aud[0]` is the events host they
//! talk to and `"1password.com/fts"` lists the features. The emulator signs with a P-256 key
//! drawn from the tenant's seeded id stream, and ECDSA signing follows RFC 6979 (deterministic
//! nonces), so the same seed always mints byte-identical tokens.

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::ids::IdGenerator;

/// The default audience: the events host of 1password.com accounts.
pub const DEFAULT_AUDIENCE: &str = "events.1password.com";

/// What a token may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Feature {
    /// `/api/v*/auditevents`.
    AuditEvents,
    /// `/api/v*/itemusages`.
    ItemUsages,
    /// `/api/v*/signinattempts`.
    SignInAttempts,
}

impl Feature {
    /// All features, in the order 1Password lists them.
    pub const ALL: [Feature; 3] =
        [Feature::AuditEvents, Feature::ItemUsages, Feature::SignInAttempts];

    /// The claim value.
    pub fn as_str(self) -> &'static str {
        match self {
            Feature::AuditEvents => "auditevents",
            Feature::ItemUsages => "itemusages",
            Feature::SignInAttempts => "signinattempts",
        }
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Feature {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Feature::ALL.into_iter().find(|f| f.as_str() == s).ok_or_else(|| {
            format!("unknown feature {s:?}; expected auditevents, itemusages or signinattempts")
        })
    }
}

/// A token the tenant issued, with what it allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuedToken {
    /// The bearer string (the JWT).
    pub token: String,
    /// The Events Reporting integration's uuid (introspection `uuid`, JWT `sub`).
    pub integration_uuid: String,
    /// Features granted.
    pub features: Vec<Feature>,
    /// When it was issued (introspection `issued_at`, JWT `iat`).
    pub issued_at: DateTime<Utc>,
    /// When it stops working (JWT `exp`); never when `None`.
    pub expires_at: Option<DateTime<Utc>>,
    /// `aud[0]`.
    pub audience: String,
}

impl IssuedToken {
    /// Has it expired at `now`?
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|exp| now >= exp)
    }

    /// Does it carry `feature`?
    pub fn allows(&self, feature: Feature) -> bool {
        self.features.contains(&feature)
    }
}

/// What to mint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// Features to grant (at least one).
    pub features: Vec<Feature>,
    /// Expiry; never when `None`.
    pub expires_at: Option<DateTime<Utc>>,
    /// `aud[0]`; [`DEFAULT_AUDIENCE`] when `None`.
    pub audience: Option<String>,
}

impl TokenRequest {
    /// All features, no expiry, default audience.
    pub fn all_features() -> TokenRequest {
        TokenRequest { features: Feature::ALL.to_vec(), expires_at: None, audience: None }
    }
}

/// The tenant's signing key.
#[derive(Clone)]
pub struct TokenSigner {
    key: SigningKey,
    kid: String,
}

impl fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        f.debug_struct("TokenSigner").field("kid", &self.kid).finish_non_exhaustive()
    }
}

impl TokenSigner {
    /// A key drawn from the id stream (same stream, same key).
    pub fn derive(ids: &mut IdGenerator) -> TokenSigner {
        let kid = ids.lower_id();
        loop {
            let mut bytes = [0u8; 32];
            for chunk in bytes.chunks_mut(8) {
                chunk.copy_from_slice(&ids.next_u64().to_be_bytes());
            }
            // Zero or >= the curve order is rejected; that needs another draw (odds ~2^-32).
            if let Ok(key) = SigningKey::from_bytes(&bytes.into()) {
                return TokenSigner { key, kid };
            }
        }
    }

    /// A signer with this key id and 32-byte secret scalar (as [`TokenSigner::secret`] gives).
    pub fn from_secret(kid: String, secret: &[u8]) -> Result<TokenSigner, String> {
        let bytes: [u8; 32] = secret
            .try_into()
            .map_err(|_| format!("a signing key is 32 bytes, got {}", secret.len()))?;
        let key = SigningKey::from_bytes(&bytes.into())
            .map_err(|_| "the signing key is not a valid P-256 secret".to_owned())?;
        Ok(TokenSigner { key, kid })
    }

    /// The secret scalar, for the state file: the same key must sign after a restart, or the
    /// tokens clients hold would change.
    pub fn secret(&self) -> [u8; 32] {
        self.key.to_bytes().into()
    }

    /// The key id in JWT headers.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key (to verify tokens in tests or clients).
    pub fn verifying_key(&self) -> VerifyingKey {
        *self.key.verifying_key()
    }

    /// Mints a token for `account_uuid`.
    pub fn mint(
        &self,
        request: &TokenRequest,
        account_uuid: &str,
        ids: &mut IdGenerator,
        now: DateTime<Utc>,
    ) -> IssuedToken {
        let integration_uuid = ids.upper_id();
        let token_uuid = ids.upper_id();
        let audience = request.audience.clone().unwrap_or_else(|| DEFAULT_AUDIENCE.to_owned());
        let header = json!({"alg": "ES256", "kid": self.kid, "typ": "JWT"});
        let mut claims = json!({
            "1password.com/auuid": account_uuid,
            "1password.com/token": token_uuid,
            "1password.com/fts": request.features.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
            "aud": [audience],
            "sub": integration_uuid,
            "iat": now.timestamp(),
            "iss": "com.1password.b5",
            "jti": token_uuid.to_ascii_lowercase(),
        });
        if let Some(exp) = request.expires_at {
            claims["exp"] = json!(exp.timestamp());
        }
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature: Signature = self.key.sign(signing_input.as_bytes());
        IssuedToken {
            token: format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes())),
            integration_uuid,
            features: request.features.clone(),
            issued_at: now,
            expires_at: request.expires_at,
            audience,
        }
    }
}

/// Decodes a JWT's header and claims without verifying it, as official clients do.
pub fn decode_unverified(token: &str) -> Option<(serde_json::Value, serde_json::Value)> {
    let mut parts = token.split('.');
    let (h, c, _s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).ok()?).ok()?;
    let claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(c).ok()?).ok()?;
    Some((header, claims))
}

/// Checks a token's ES256 signature against `key`.
pub fn verify(token: &str, key: &VerifyingKey) -> bool {
    use p256::ecdsa::signature::Verifier;
    let Some((input, sig)) = token.rsplit_once('.') else { return false };
    let Ok(sig) = URL_SAFE_NO_PAD.decode(sig) else { return false };
    let Ok(sig) = Signature::from_slice(&sig) else { return false };
    key.verify(input.as_bytes(), &sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().to_utc()
    }

    #[test]
    fn tokens_are_es256_jwts_in_1password_shape_and_verify() {
        let mut ids = IdGenerator::new(9);
        let signer = TokenSigner::derive(&mut ids);
        let t = signer.mint(&TokenRequest::all_features(), "ACCOUNT", &mut ids, now());
        let re_ok = t.token.starts_with("eyJ") && t.token.split('.').count() == 3;
        assert!(re_ok, "{}", t.token);
        let (header, claims) = decode_unverified(&t.token).unwrap();
        assert_eq!(header, json!({"alg": "ES256", "kid": signer.kid(), "typ": "JWT"}));
        assert_eq!(claims["aud"], json!(["events.1password.com"]));
        assert_eq!(
            claims["1password.com/fts"],
            json!(["auditevents", "itemusages", "signinattempts"])
        );
        assert_eq!(claims["1password.com/auuid"], "ACCOUNT");
        assert_eq!(claims["sub"], t.integration_uuid.as_str());
        assert_eq!(claims["iat"], now().timestamp());
        assert!(claims.get("exp").is_none());
        assert!(verify(&t.token, &signer.verifying_key()));
        // A changed claim breaks the signature.
        let mut parts: Vec<&str> = t.token.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(claims.to_string().replace("ACCOUNT", "OTHER"));
        parts[1] = &forged;
        assert!(!verify(&parts.join("."), &signer.verifying_key()));
    }

    #[test]
    fn same_seed_same_token_and_expiry_is_a_claim() {
        let mint = |seed| {
            let mut ids = IdGenerator::new(seed);
            let signer = TokenSigner::derive(&mut ids);
            let req = TokenRequest {
                features: vec![Feature::ItemUsages],
                expires_at: Some(now() + chrono::Duration::hours(1)),
                audience: Some("events.1password.eu".into()),
            };
            signer.mint(&req, "A", &mut ids, now())
        };
        let (a, b, c) = (mint(1), mint(1), mint(2));
        assert_eq!(a, b);
        assert_ne!(a.token, c.token);
        let (_, claims) = decode_unverified(&a.token).unwrap();
        assert_eq!(claims["exp"], (now() + chrono::Duration::hours(1)).timestamp());
        assert_eq!(claims["aud"], json!(["events.1password.eu"]));
        assert!(!a.is_expired(now()) && a.is_expired(now() + chrono::Duration::hours(1)));
        assert!(a.allows(Feature::ItemUsages) && !a.allows(Feature::AuditEvents));
    }

    #[test]
    fn features_parse_from_their_claim_names() {
        assert_eq!("signinattempts".parse::<Feature>().unwrap(), Feature::SignInAttempts);
        assert!("signins".parse::<Feature>().unwrap_err().contains("signins"));
    }
}
