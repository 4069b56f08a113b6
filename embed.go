package main

import (
	"embed"

	"github.com/inspraak/inspraak/app/assets"
)

//go:embed templates static locales migrations
var embedded embed.FS

// bundledAssets exposes the embedded trees so the binary runs alone.
func bundledAssets() (assets.FS, error) {
	return assets.FromRoot(embedded)
}
