// Package assets names the file trees the binary carries: templates, static
// files, locales and migrations. main embeds them; tests read them from disk.
package assets

import (
	"io/fs"
	"os"
	"path/filepath"
)

// FS holds one file tree per kind of asset.
type FS struct {
	Templates  fs.FS
	Static     fs.FS
	Locales    fs.FS
	Migrations fs.FS
}

// FromRoot builds FS from a tree whose top level holds templates/, static/,
// locales/ and migrations/ (the embedded tree or the repository on disk).
func FromRoot(root fs.FS) (FS, error) {
	var a FS
	for _, p := range []struct {
		dir string
		dst *fs.FS
	}{{"templates", &a.Templates}, {"static", &a.Static}, {"locales", &a.Locales}, {"migrations", &a.Migrations}} {
		sub, err := fs.Sub(root, p.dir)
		if err != nil {
			return FS{}, err
		}
		*p.dst = sub
	}
	return a, nil
}

// RepoRoot finds the repository root (the folder holding go.mod) from the
// working directory upwards; tests use it to read assets from disk.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}

// FromRepo returns the assets of the repository on disk.
func FromRepo() (FS, error) {
	root, err := RepoRoot()
	if err != nil {
		return FS{}, err
	}
	return FromRoot(os.DirFS(root))
}
