package coffer

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// GenerateKey returns a new key: a public id, the secret (256 random bits, URL-safe base64) that is
// shown once, and the SHA-256 hash of the secret that is stored instead of it. A fast hash is
// enough for a secret of that entropy, and keeps authentication cheap on every request.
func GenerateKey() (id, secret string, hash []byte) {
	var idb [8]byte
	var sb [32]byte
	rand.Read(idb[:])
	rand.Read(sb[:])
	secret = base64.RawURLEncoding.EncodeToString(sb[:])
	return hex.EncodeToString(idb[:]), secret, HashKey(secret)
}

// HashKey returns the stored form of a key secret.
func HashKey(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}
