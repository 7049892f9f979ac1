"""joserfc, a JOSE library independent of the channel's own serialisation: the reference the tests check
the channel's tokens against (what it writes, joserfc reads; what joserfc writes, the channel reads)."""

from __future__ import annotations

from joserfc import jwe, jws

#: ECDH-ES with A256GCM, and joserfc's size limits raised to what the channel carries
SEALED_REGISTRY = jwe.JWERegistry(algorithms=["ECDH-ES", "A256GCM"])
SEALED_REGISTRY.max_ciphertext_length = 2**30
#: Ed25519 only; the channel's own header parameters (jti, kind, iss...) allowed
SIGNED_REGISTRY = jws.JWSRegistry(algorithms=["Ed25519"], strict_check_header=False)
