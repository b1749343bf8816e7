// Verify one log entry in the browser, trusting neither the server nor treatyledger:
// the RFC 6962 leaf hash and inclusion proof with WebCrypto SHA-256 against the
// checkpoint's root, and the checkpoint's Ed25519 signature (C2SP signed note)
// with WebCrypto Ed25519 and the log's verifier key. The data comes from the page.
"use strict";
(function () {
  const enc = new TextEncoder();

  function b64(text) {
    const raw = atob(text);
    const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }
  function hex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  function same(a, b) {
    if (a.length !== b.length) return false;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
    return diff === 0;
  }
  async function sha256(data) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  }
  const leafHash = (entry) => sha256(concat(new Uint8Array([0]), entry));
  const nodeHash = (l, r) => sha256(concat(new Uint8Array([1]), l, r));

  // RFC 9162 section 2.1.3.2: the root an inclusion proof leads to.
  async function rootFromProof(index, size, leaf, proof) {
    if (index >= size) throw new Error("index " + index + " is not in a tree of " + size);
    let fn = index, sn = size - 1, r = leaf;
    for (const p of proof) {
      if (sn === 0) throw new Error("the proof is too long");
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    if (sn !== 0) throw new Error("the proof is too short");
    return r;
  }

  // A C2SP signed note: text, a blank line, signature lines "— name base64(keyid||sig)".
  function splitNote(note) {
    const cut = note.lastIndexOf("\n\n");
    if (cut < 0) throw new Error("the checkpoint is not a signed note");
    const text = note.slice(0, cut + 1);
    const lines = note.slice(cut + 2).split("\n").filter((l) => l !== "");
    const sigs = lines.map((line) => {
      const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
      if (!m) throw new Error("malformed signature line: " + line);
      return { name: m[1], blob: b64(m[2]) };
    });
    return { text, sigs };
  }

  function parseCheckpoint(text) {
    const lines = text.split("\n");
    if (lines.length < 4) throw new Error("the checkpoint body is too short");
    const size = Number(lines[1]);
    if (!/^(0|[1-9][0-9]*)$/.test(lines[1]) || !Number.isSafeInteger(size)) {
      throw new Error("the checkpoint size is not a number");
    }
    const root = b64(lines[2]);
    if (root.length !== 32) throw new Error("the checkpoint root is not 32 bytes");
    return { origin: lines[0], size, root };
  }

  // vkey: name+hex8+base64(0x01 || 32-byte Ed25519 public key).
  async function parseVkey(vkey) {
    // The name holds no "+"; the base64 may.
    const at = vkey.indexOf("+");
    const name = vkey.slice(0, at), id = vkey.slice(at + 1, at + 9), rest = vkey.slice(at + 10);
    if (at < 1 || vkey[at + 9] !== "+" || !/^[0-9a-f]{8}$/.test(id)) {
      throw new Error("the log key is not name+hex8+base64");
    }
    const blob = b64(rest);
    if (blob.length !== 33 || blob[0] !== 0x01) throw new Error("the log key is not Ed25519");
    const key = blob.slice(1);
    const digest = await sha256(concat(enc.encode(name + "\n"), blob));
    if (hex(digest.slice(0, 4)) !== id) throw new Error("the log key's ID does not match it");
    return { name, keyId: digest.slice(0, 4), key };
  }

  async function verify(data) {
    const steps = [];
    const entry = b64(data.entry);
    const leaf = await leafHash(entry);
    steps.push("leaf hash SHA-256(0x00 || entry) = " + hex(leaf));
    const note = splitNote(data.checkpoint);
    const cp = parseCheckpoint(note.text);
    if (cp.size !== data.size) throw new Error("the proof is for a tree of " + data.size + ", the checkpoint has " + cp.size);
    const proof = data.proof.map(b64);
    const root = await rootFromProof(data.index, cp.size, leaf, proof);
    if (!same(root, cp.root)) {
      throw new Error("the inclusion proof leads to root " + hex(root) + ", not the checkpoint's " + hex(cp.root));
    }
    steps.push("inclusion proof (" + proof.length + " hashes) leads to the checkpoint's root " + hex(root));
    const vkey = await parseVkey(data.vkey);
    if (vkey.name !== cp.origin) throw new Error("the key is for " + vkey.name + ", the checkpoint is of " + cp.origin);
    const sig = note.sigs.find((s) => s.name === vkey.name && same(s.blob.slice(0, 4), vkey.keyId));
    if (!sig) throw new Error("the checkpoint carries no signature by the log's key");
    if (sig.blob.length !== 68) throw new Error("the signature is not 64 bytes");
    const key = await crypto.subtle.importKey("raw", vkey.key, { name: "Ed25519" }, false, ["verify"]);
    const good = await crypto.subtle.verify({ name: "Ed25519" }, key, sig.blob.slice(4), enc.encode(note.text));
    if (!good) throw new Error("the checkpoint's Ed25519 signature does not verify");
    steps.push("checkpoint signature by " + vkey.name + " verifies (Ed25519)");
    return steps;
  }

  function show(box, ok, headline, steps) {
    box.className = "result " + (ok ? "verified" : "failed");
    box.textContent = headline;
    box.dataset.outcome = ok ? "verified" : "failed";
    const list = document.createElement("ul");
    for (const s of steps) { const li = document.createElement("li"); li.textContent = s; list.appendChild(li); }
    box.appendChild(list);
  }

  function start() {
    const button = document.getElementById("verify");
    const box = document.getElementById("verify-result");
    const source = document.getElementById("entry-data");
    if (!button || !box || !source) return;
    button.addEventListener("click", async () => {
      box.className = "result"; box.textContent = "verifying…"; delete box.dataset.outcome;
      let data;
      try {
        data = JSON.parse(source.textContent);
        const steps = await verify(data);
        show(box, true, "\u2713 Verified: entry " + data.index + " is in the log the signed checkpoint commits to.", steps);
      } catch (err) {
        show(box, false, "\u2717 Verification failed: " + (err && err.message ? err.message : err), []);
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
