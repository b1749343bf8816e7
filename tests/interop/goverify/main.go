// Command goverify checks a treatyledger export with an independent implementation:
// golang.org/x/mod's sumdb/note (signed notes) and sumdb/tlog (RFC 6962 trees and tiles).
// Only the C2SP tlog-tiles path layout and the text formats are written here.
//
//	goverify DIR VKEY [INDEX...]         DIR holds checkpoint, tile/... and tile/entries/...
//	goverify proof PROOFFILE VKEY ENTRYFILE  a c2sp.org/tlog-proof@v1 of ENTRYFILE's bytes
//
// Prints one line starting "OK:" and exits 0, or "FAIL:" and the reason and exits 1.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const height = 8 // C2SP tlog-tiles: 256 hashes (or entries) per tile
const width = 1 << height

func main() {
	var msg string
	var err error
	switch {
	case len(os.Args) == 5 && os.Args[1] == "proof":
		msg, err = checkProof(os.Args[2], os.Args[3], os.Args[4])
	case len(os.Args) >= 3 && os.Args[1] != "proof":
		msg, err = checkDir(os.Args[1], os.Args[2], os.Args[3:])
	default:
		fmt.Fprintln(os.Stderr, "usage: goverify DIR VKEY [INDEX...] | goverify proof PROOFFILE VKEY ENTRYFILE")
		os.Exit(2)
	}
	if err != nil {
		fmt.Println("FAIL:", err)
		os.Exit(1)
	}
	fmt.Println("OK:", msg)
}

// decimal parses a C2SP decimal: ASCII digits, no sign, no leading zeros.
func decimal(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != s {
		return 0, fmt.Errorf("%q is not a canonical decimal", s)
	}
	return n, nil
}

func decodeHash(s string) (h tlog.Hash, err error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != tlog.HashSize {
		return h, fmt.Errorf("%q is not a base64 SHA-256 hash", s)
	}
	copy(h[:], b)
	return h, nil
}

// openCheckpoint checks the log's signature with note.Open and parses the body per
// C2SP tlog-checkpoint: origin line (the key name), decimal size, base64 root, extensions.
func openCheckpoint(data []byte, vkey string) (string, tlog.Tree, error) {
	var tree tlog.Tree
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return "", tree, fmt.Errorf("verifier key: %v", err)
	}
	n, err := note.Open(data, note.VerifierList(v))
	if err != nil {
		return "", tree, fmt.Errorf("checkpoint: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(lines) < 3 || lines[0] != v.Name() {
		return "", tree, fmt.Errorf("checkpoint: not origin %q, size and root lines", v.Name())
	}
	if tree.N, err = decimal(lines[1]); err != nil {
		return "", tree, fmt.Errorf("checkpoint size: %v", err)
	}
	if tree.Hash, err = decodeHash(lines[2]); err != nil {
		return "", tree, fmt.Errorf("checkpoint root: %v", err)
	}
	return lines[0], tree, nil
}

// c2spPath is the C2SP tlog-tiles path tile/<level>/<N>[.p/<W>]: N in 3-digit groups,
// all but the last prefixed with "x"; level is a number or "entries". No H segment.
func c2spPath(level string, n int64, w int) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n /= 1000; n > 0; n /= 1000 {
		s = fmt.Sprintf("x%03d/%s", n%1000, s)
	}
	if w != width {
		s += fmt.Sprintf(".p/%d", w)
	}
	return "tile/" + level + "/" + s
}

// dirTiles is a tlog.TileReader over the C2SP tiles of an export directory.
type dirTiles string

func (d dirTiles) Height() int                     { return height }
func (d dirTiles) SaveTiles([]tlog.Tile, [][]byte) {}
func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		path := c2spPath(strconv.Itoa(t.L), t.N, t.W)
		if old := t.Path(); strings.Replace(old, "tile/8/", "tile/", 1) != path { // same N/W encoding
			return nil, fmt.Errorf("path encoding: %s vs x/mod %s", path, old)
		}
		data, err := os.ReadFile(filepath.Join(string(d), filepath.FromSlash(path)))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

// hashes is a tlog.HashReader over stored hashes held in memory.
type hashes []tlog.Hash

func (s *hashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(*s)) {
			return nil, fmt.Errorf("stored hash %d not computed", x)
		}
		out[i] = (*s)[x]
	}
	return out, nil
}

// readBundle returns the record hashes of the w entries of an entry bundle file:
// each entry is a big-endian uint16 length, then that many bytes.
func readBundle(dir string, t tlog.Tile) ([]tlog.Hash, error) {
	path := c2spPath("entries", t.N, t.W)
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path)))
	if err != nil {
		return nil, err
	}
	var records []tlog.Hash
	for len(data) > 0 {
		if len(data) < 2 || len(data) < 2+(int(data[0])<<8|int(data[1])) {
			return nil, fmt.Errorf("%s: truncated after %d entries", path, len(records))
		}
		size := 2 + (int(data[0])<<8 | int(data[1]))
		records = append(records, tlog.RecordHash(data[2:size]))
		data = data[size:]
	}
	if len(records) != t.W {
		return nil, fmt.Errorf("%s: %d entries, want %d", path, len(records), t.W)
	}
	return records, nil
}

// checkDir verifies an export. x/mod's TileHashReader does not authenticate every
// full tile it returns (v0.7.0 starts that loop at len(stx), an index, not a tile
// count), so the tree is first rebuilt from the entries alone and every tile file
// must equal it byte for byte; then the tile reader's tree hash and proofs are checked.
func checkDir(dir, vkey string, indexArgs []string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		return "", err
	}
	origin, tree, err := openCheckpoint(data, vkey)
	if err != nil {
		return "", err
	}
	var tiles []tlog.Tile // x/mod lists every width of a partial tile: keep the widest
	all := tlog.NewTiles(height, 0, tree.N)
	for i, t := range all {
		if i+1 == len(all) || all[i+1].L != t.L || all[i+1].N != t.N {
			tiles = append(tiles, t)
		}
	}
	expected := map[string]bool{"checkpoint": true}
	var records []tlog.Hash // 1. the entries, and the tree x/mod builds from them
	var stored hashes
	for _, t := range tiles {
		expected[c2spPath(strconv.Itoa(t.L), t.N, t.W)] = true
		if t.L != 0 {
			continue
		}
		expected[c2spPath("entries", t.N, t.W)] = true
		bundle, err := readBundle(dir, t)
		if err != nil {
			return "", err
		}
		for _, h := range bundle {
			more, err := tlog.StoredHashesForRecordHash(int64(len(records)), h, &stored)
			if err != nil {
				return "", err
			}
			stored, records = append(stored, more...), append(records, h)
		}
	}
	root := tlog.Hash(sha256.Sum256(nil)) // RFC 6962 empty tree; x/mod's TreeHash(0) is all zeros
	if tree.N > 0 {
		if root, err = tlog.TreeHash(tree.N, &stored); err != nil {
			return "", err
		}
	}
	if root != tree.Hash {
		return "", fmt.Errorf("the entries hash to %v, the checkpoint root is %v", root, tree.Hash)
	}
	for _, t := range tiles { // 2. every tile file holds exactly the hashes of that tree
		want, err := tlog.ReadTileData(t, &stored)
		if err != nil {
			return "", err
		}
		got, err := dirTiles(dir).ReadTiles([]tlog.Tile{t})
		if err != nil {
			return "", err
		}
		if !bytes.Equal(got[0], want) {
			return "", fmt.Errorf("%s: not the hashes of the entries", c2spPath(strconv.Itoa(t.L), t.N, t.W))
		}
	}
	// Only the tlog-tiles namespace (tile/) must hold nothing but this tree's files; beside it
	// an export may carry other files (vkey, the checkpoint history under checkpoints/).
	err = filepath.WalkDir(filepath.Join(dir, "tile"), func(path string, d fs.DirEntry, err error) error {
		if err != nil && os.IsNotExist(err) && tree.N == 0 {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		if err == nil && !d.IsDir() && !expected[filepath.ToSlash(rel)] {
			err = fmt.Errorf("unexpected file %s", filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		return "", err
	}
	hr := tlog.TileHashReader(tree, dirTiles(dir)) // 3. x/mod reading the tiles itself
	if tree.N > 0 {
		if th, err := tlog.TreeHash(tree.N, hr); err != nil || th != tree.Hash {
			return "", fmt.Errorf("tree hash from tiles: %v %v", th, err)
		}
	}
	for _, arg := range indexArgs {
		i, err := decimal(arg)
		if err != nil || i >= tree.N {
			return "", fmt.Errorf("index %q is not in the tree of %d", arg, tree.N)
		}
		p, err := tlog.ProveRecord(tree.N, i, hr)
		if err != nil {
			return "", fmt.Errorf("prove record %d: %v", i, err)
		}
		if err := tlog.CheckRecord(p, tree.N, tree.Hash, i, records[i]); err != nil {
			return "", fmt.Errorf("check record %d: %v", i, err)
		}
	}
	return fmt.Sprintf("%s size=%d root=%v entries=%d tiles=%d proofs=%d",
		origin, tree.N, tree.Hash, len(records), len(tiles), len(indexArgs)), nil
}

// checkProof checks a C2SP tlog-proof: header, optional extra, index, audit path
// (leaf sibling first, as tlog.RecordProof), a blank line, then the signed checkpoint.
func checkProof(proofFile, vkey, entryFile string) (string, error) {
	data, err := os.ReadFile(proofFile)
	if err != nil {
		return "", err
	}
	entry, err := os.ReadFile(entryFile)
	if err != nil {
		return "", err
	}
	head, checkpoint, ok := bytes.Cut(data, []byte("\n\n"))
	lines := strings.Split(string(head), "\n")
	if !ok || lines[0] != "c2sp.org/tlog-proof@v1" {
		return "", fmt.Errorf("proof: no c2sp.org/tlog-proof@v1 header and blank line")
	}
	lines = lines[1:]
	if len(lines) > 0 && strings.HasPrefix(lines[0], "extra ") { // unauthenticated; unused here
		if _, err := base64.StdEncoding.DecodeString(lines[0][6:]); err != nil {
			return "", fmt.Errorf("proof extra: %v", err)
		}
		lines = lines[1:]
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "index ") {
		return "", fmt.Errorf("proof: no index line")
	}
	index, err := decimal(lines[0][6:])
	if err != nil {
		return "", fmt.Errorf("proof index: %v", err)
	}
	var proof tlog.RecordProof
	for _, line := range lines[1:] {
		h, err := decodeHash(line)
		if err != nil {
			return "", fmt.Errorf("proof hash: %v", err)
		}
		proof = append(proof, h)
	}
	origin, tree, err := openCheckpoint(checkpoint, vkey)
	if err != nil {
		return "", err
	}
	if err := tlog.CheckRecord(proof, tree.N, tree.Hash, index, tlog.RecordHash(entry)); err != nil {
		return "", fmt.Errorf("inclusion of entry %d in %s@%d: %v", index, origin, tree.N, err)
	}
	return fmt.Sprintf("%s size=%d index=%d hashes=%d", origin, tree.N, index, len(proof)), nil
}
