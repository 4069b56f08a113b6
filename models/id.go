// Package models holds the GORM structs of the platform, one file per
// aggregate. No queries live here.
package models

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns an opaque, unguessable id (20 characters, 100 random bits),
// so ids in public URLs reveal neither order nor count.
func NewID() string {
	b := make([]byte, 13)
	_, _ = rand.Read(b)
	return strings.ToLower(idEncoding.EncodeToString(b))[:20]
}
