package vault

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
)

// Ciphertext format, version 1:
//
//	version (1 byte, 0x01) || data key ID (4 bytes) || nonce (12 bytes) ||
//	AES-256-GCM(field key, padded plaintext) (a multiple of 16 bytes + 16-byte tag)
//
// The GCM additional data is the 5-byte header followed by the caller's
// AAD, so a ciphertext is bound to its key ID and to its place. The
// plaintext is padded (ISO/IEC 7816-4: 0x80 then zeros) to a multiple of
// 16 bytes, so a ciphertext shows a field's length only to within 16
// bytes (a short name and a long one look alike). The smallest ciphertext
// is 49 bytes (68 characters of base64).
const (
	sealVersion = 1
	headerLen   = 1 + keyIDLen
	nonceLen    = 12
	tagLen      = 16
	padBlock    = 16
	// MinCiphertextLen is the length of the shortest ciphertext Seal makes.
	MinCiphertextLen = headerLen + nonceLen + padBlock + tagLen
)

// ErrCiphertext: a ciphertext did not open. Wrong AAD (it was sealed for
// another record or field), another database's keys, or damage all look
// the same, on purpose.
var ErrCiphertext = errors.New("vault: the value cannot be decrypted (damaged, or sealed for another record, field or database)")

// AAD encodes the parts that say where a value belongs (for example table,
// record ID and field name) as additional data: each part is prefixed with
// its length, so ("ab", "c") and ("a", "bc") differ. SealString(s, parts...)
// is Seal([]byte(s), AAD(parts...)) in base64.
func AAD(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += binary.MaxVarintLen64 + len(p)
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	return b
}

// Seal encrypts plaintext with the field key in use. aad is not stored but
// must be given again to Open: pass where the value lives (AAD("people",
// id, "name")) so it cannot be moved to another record or field. The same
// plaintext sealed twice gives different ciphertexts (random nonce). An
// empty plaintext is encrypted like any other, so emptiness does not show;
// a value that is absent should stay NULL in the database instead.
func (v *Vault) Seal(plaintext, aad []byte) []byte {
	k := v.sealKey
	padded := len(plaintext) + padBlock - len(plaintext)%padBlock
	out := make([]byte, headerLen+nonceLen, headerLen+nonceLen+padded+tagLen)
	out[0] = sealVersion
	copy(out[1:headerLen], k.id[:])
	mustRead(v.rand, out[headerLen:])
	msg := make([]byte, padded)
	copy(msg, plaintext)
	msg[len(plaintext)] = 0x80
	ad := make([]byte, 0, headerLen+len(aad))
	ad = append(append(ad, out[:headerLen]...), aad...)
	return k.aead.Seal(out, out[headerLen:headerLen+nonceLen], msg, ad)
}

// Open decrypts a ciphertext made by Seal with the same aad. The key is
// chosen by the ID in the ciphertext, so values sealed before a field key
// was retired still open. Any failure is ErrCiphertext.
func (v *Vault) Open(ciphertext, aad []byte) ([]byte, error) {
	if len(ciphertext) < MinCiphertextLen || ciphertext[0] != sealVersion ||
		(len(ciphertext)-headerLen-nonceLen-tagLen)%padBlock != 0 {
		return nil, ErrCiphertext
	}
	var id [keyIDLen]byte
	copy(id[:], ciphertext[1:headerLen])
	k, ok := v.fields[id]
	if !ok {
		return nil, ErrCiphertext
	}
	ad := make([]byte, 0, headerLen+len(aad))
	ad = append(append(ad, ciphertext[:headerLen]...), aad...)
	msg, err := k.aead.Open(nil, ciphertext[headerLen:headerLen+nonceLen], ciphertext[headerLen+nonceLen:], ad)
	if err != nil {
		return nil, ErrCiphertext
	}
	i := bytes.LastIndexByte(msg, 0x80)
	if i < 0 || i < len(msg)-padBlock || !allZero(msg[i+1:]) {
		// Authentic but badly padded: only a bug of ours could make it.
		return nil, ErrCiphertext
	}
	return msg[:i], nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// SealString seals s for a TEXT column: standard base64 of Seal([]byte(s),
// AAD(aad...)). Pass the value's place as aad: table, record ID, field.
// The empty string is sealed too (emptiness does not show); keep an absent
// value NULL rather than sealing anything.
func (v *Vault) SealString(s string, aad ...string) string {
	return base64.StdEncoding.EncodeToString(v.Seal([]byte(s), AAD(aad...)))
}

// OpenString opens what SealString made, given the same aad. Anything
// else, including "", is ErrCiphertext.
func (v *Vault) OpenString(sealed string, aad ...string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return "", ErrCiphertext
	}
	p, err := v.Open(b, AAD(aad...))
	if err != nil {
		return "", err
	}
	return string(p), nil
}

// Sealed reports whether s has the form SealString gives under one of
// this vault's field keys: base64 of a version-1 ciphertext whose length
// fits the padding, naming a key this vault holds. It does not open s
// (that needs its AAD); it tells a sealed column from one holding
// plaintext, which cannot take this form by chance.
func (v *Vault) Sealed(s string) bool {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) < MinCiphertextLen || b[0] != sealVersion ||
		(len(b)-headerLen-nonceLen-tagLen)%padBlock != 0 {
		return false
	}
	var id [keyIDLen]byte
	copy(id[:], b[1:headerLen])
	_, ok := v.fields[id]
	return ok
}
