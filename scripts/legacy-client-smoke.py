#!/usr/bin/env python3
"""Drives a running server the way the original Python clients do (requests, cookie session).

Usage: npm start  (in another terminal), then  python3 scripts/legacy-client-smoke.py [base_url]
Exits non-zero on the first answer that does not match the legacy contract: the original service's
paths and shapes (docs/legacy-api.md; "Legacy paths" in the OpenAPI document).
"""
import hashlib
import json
import sys
import time
import uuid
import zlib
import struct

import requests

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8000"


def png(width, height):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"".join(bytes([x * 40 % 256, y * 40 % 256, 128]) for x in range(width)) for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def check(cond, what, res=None):
    if not cond:
        detail = f" -> {res.status_code} {res.text[:300]}" if res is not None else ""
        sys.exit(f"FAIL: {what}{detail}")
    print(f"ok   {what}")


s = requests.Session()
email = f"legacy-{uuid.uuid4()}@example.com"
r = s.post(f"{BASE}/api/user/register", data={"email": email, "password": "correct horse battery"})
check(r.status_code == 201, "register with a form body -> 201", r)
r = s.post(f"{BASE}/api/user/register", json={"email": email.upper(), "password": "correct horse battery"})
check(r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json"), "same email, other case -> 409 problem", r)
r = s.post(f"{BASE}/api/user/login", data={"email": email, "password": "wrong password!"})
check(r.status_code == 401, "wrong password -> 401", r)
r = s.post(f"{BASE}/api/user/login", data={"email": email, "password": "correct horse battery"})
check(r.status_code == 200 and "auth_token" in s.cookies and "token" in r.json(), "login sets auth_token cookie and returns a token", r)
r = s.get(f"{BASE}/api/user")
check(r.status_code == 200 and r.json()["email"] == email and isinstance(r.json()["created_at"], (int, float)), "current user", r)

img = png(4, 3)
files = [("image", ("photo.png", img, "image/png")), ("tags", (None, json.dumps(["cat", "garden", "cat"]), "application/json"))]
r = s.post(f"{BASE}/api/images", files=files)
check(r.status_code == 201, "upload as the original clients send it -> 201", r)
up = r.json()
check(up["tags"] == ["cat", "garden"] and up["content_type"] == "image/png" and up["size"] == len(img), "upload body: tags in order, sniffed type, size", r)
check(up["sha256"] == hashlib.sha256(img).hexdigest() and (up["width"], up["height"]) == (4, 3), "sha256 and dimensions", r)
img_id = up["img_id"]
r = s.post(f"{BASE}/api/images", files=[("image", ("notes.txt", b"just text", "text/plain"))])
check(r.status_code == 415, "unrecognised bytes declared text/plain -> 415", r)
r = s.post(f"{BASE}/api/images", files=[("image", ("notes.png", b"just text"))])
check(r.status_code == 415, "unrecognised bytes with no declared type -> 415", r)
svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
r = s.post(f"{BASE}/api/images", files=[("image", ("logo.png", svg, "image/png"))])
check(r.status_code == 415, "SVG bytes declared image/png -> 415", r)
r = s.post(f"{BASE}/api/images", files=[("image", ("page.png", b"<!DOCTYPE html><html><script>x</script>", "image/png"))])
check(r.status_code == 415, "HTML bytes declared image/png -> 415", r)
r = s.post(f"{BASE}/api/images", files=[("tags", (None, "[]", "application/json"))])
check(r.status_code == 400, "no image part -> 400", r)

r = s.get(f"{BASE}/api/image/{img_id}")
check(r.status_code == 200 and r.content == img and r.headers["content-type"] == "image/png", "fetch bytes", r)
r = s.get(f"{BASE}/api/images")
check(r.status_code == 200 and isinstance(r.json(), list) and r.json()[0]["img_id"] == img_id, "list -> JSON array", r)
r = s.get(f"{BASE}/api/images", params={"tag": "garden"})
check([i["img_id"] for i in r.json()] == [img_id], "filter by tag", r)
r = s.get(f"{BASE}/api/images", params={"tag": "nope"})
check(r.json() == [], "filter by an unused tag -> []", r)
now = time.time()
r = s.get(f"{BASE}/api/images", params={"start_date": now - 3600, "end_date": now + 3600})
check(img_id in [i["img_id"] for i in r.json()], "start_date/end_date window (float seconds)", r)
r = s.get(f"{BASE}/api/images", params={"start_date": int(now)})
check(r.status_code == 400, "start_date without end_date -> 400", r)
r = s.get(f"{BASE}/api/images", params={"date": time.strftime("%Y-%m-%d", time.gmtime())})
check(img_id in [i["img_id"] for i in r.json()], "date = today (UTC)", r)

r = s.put(f"{BASE}/api/{img_id}/tags", data={"tags": ["dog", "park"]})
check(r.status_code == 200 and r.json() == ["dog", "park"], "PUT tags as a form, cookie auth, no Origin", r)
r = s.put(f"{BASE}/api/{img_id}/tags", json={"tags": ["dog", "park", "sun"]})
check(r.status_code == 200 and r.json() == ["dog", "park", "sun"], "PUT tags as JSON", r)
r = s.post(f"{BASE}/api/{img_id}/tags/beach")
check(r.status_code == 201 and r.json()[-1] == "beach", "POST a new tag -> 201", r)
r = s.post(f"{BASE}/api/{img_id}/tags/beach")
check(r.status_code == 200, "POST an existing tag -> 200", r)
r = s.delete(f"{BASE}/api/{img_id}/tags/sun")
check(r.status_code == 200 and "sun" not in r.json(), "DELETE one tag", r)
r = s.get(f"{BASE}/api/{img_id}/tags")
check(r.json() == ["dog", "park", "beach"], "GET tags keeps order", r)
r = s.delete(f"{BASE}/api/{img_id}/tags")
check(r.status_code == 200 and s.get(f"{BASE}/api/{img_id}/tags").json() == [], "DELETE all tags", r)

# The original service's own integration tests: a fresh client, form login, fake bytes declared image/png.
legacy = requests.Session()
legacy_email = f"fake-bytes-{uuid.uuid4()}@example.com"
r = legacy.post(f"{BASE}/api/user/register", data={"email": legacy_email, "password": "correct horse battery"})
check(r.status_code == 201, "register (second client)", r)
r = legacy.post(f"{BASE}/api/user/login", data={"email": legacy_email, "password": "correct horse battery"})
check(r.status_code == 200 and "auth_token" in legacy.cookies, "login with form fields", r)
fake = b"some-fake-bytes"
files = [("image", ("test.png", fake, "image/png")), ("tags", (None, json.dumps(["cat", "garden"]), "application/json"))]
r = legacy.post(f"{BASE}/api/images", files=files)
check(r.status_code == 201, "upload b'some-fake-bytes' declared image/png -> 201", r)
up = r.json()
check(up["content_type"] == "image/png" and up["size"] == 15 and up["tags"] == ["cat", "garden"] and up["name"] == "test.png", "fake upload body: declared type, size, tags, name", r)
fake_id = up["img_id"]
r = legacy.get(f"{BASE}/api/image/{fake_id}")
check(r.status_code == 200 and r.content == fake and r.headers["content-type"] == "image/png", "fetch the fake bytes back", r)
check(
    r.headers.get("x-content-type-options") == "nosniff"
    and r.headers.get("content-security-policy") == "sandbox"
    and r.headers.get("content-disposition", "").startswith("attachment;"),
    "unverified bytes are served as a download only (nosniff, CSP sandbox, attachment)",
    r,
)
r = legacy.get(f"{BASE}/api/image/{fake_id}", headers={"Range": "bytes=0-3"})
check(r.status_code == 206 and r.content == fake[:4] and r.headers.get("content-security-policy") == "sandbox", "a range of them keeps the headers", r)
r = legacy.get(f"{BASE}/api/images")
check([i["img_id"] for i in r.json()] == [fake_id] and r.json()[0]["content_type"] == "image/png", "list shows it", r)
r = legacy.get(f"{BASE}/api/{fake_id}/tags")
check(r.status_code == 200 and r.json() == ["cat", "garden"], "GET its tags", r)
r = legacy.put(f"{BASE}/api/{fake_id}/tags", data={"tags": ["dog", "park"]})
check(r.status_code == 200 and r.json() == ["dog", "park"], "PUT its tags as a form", r)
r = legacy.post(f"{BASE}/api/{fake_id}/tags/beach")
check(r.status_code == 201 and r.json() == ["dog", "park", "beach"], "POST a tag on it -> 201", r)
r = legacy.delete(f"{BASE}/api/{fake_id}/tags/park")
check(r.status_code == 200 and r.json() == ["dog", "beach"], "DELETE one of its tags", r)
r = legacy.delete(f"{BASE}/api/{fake_id}/tags")
check(r.status_code == 200 and r.json() == [], "DELETE all its tags", r)
r = legacy.get(f"{BASE}/api/v1/images/{fake_id}")
check(r.status_code == 200 and r.json()["verified"] is False, "v1 metadata says verified: false", r)
r = legacy.get(f"{BASE}/api/v1/images/{img_id}")
check(r.status_code == 404, "(and the first client's image is not this client's)", r)
r = legacy.post(f"{BASE}/api/v1/images", files=[("image", ("test.png", fake, "image/png"))])
check(r.status_code == 415, "v1 refuses the same fake bytes -> 415", r)
r = legacy.delete(f"{BASE}/api/image/{fake_id}")
check(r.status_code == 200 and legacy.get(f"{BASE}/api/image/{fake_id}").status_code == 404, "delete the fake image", r)

other = requests.Session()
other_email = f"other-{uuid.uuid4()}@example.com"
other.post(f"{BASE}/api/user/register", json={"email": other_email, "password": "another password"})
other.post(f"{BASE}/api/user/login", json={"email": other_email, "password": "another password"})
r = other.get(f"{BASE}/api/image/{img_id}")
check(r.status_code == 404, "another user's image -> 404", r)
r = other.put(f"{BASE}/api/{img_id}/tags", json={"tags": ["mine"]})
check(r.status_code == 404, "another user's tags -> 404", r)
r = requests.get(f"{BASE}/api/image/{img_id}")
check(r.status_code == 401, "no credentials -> 401", r)

r = s.delete(f"{BASE}/api/image/{img_id}")
check(r.status_code in (200, 204), "DELETE image", r)
r = s.get(f"{BASE}/api/image/{img_id}")
check(r.status_code == 404, "then GET -> 404", r)
r = s.get(f"{BASE}/apidoc/swagger")
check(r.status_code == 200 and "swagger" in r.text.lower(), "docs page", r)
r = s.post(f"{BASE}/api/user/logout")
check(r.status_code in (200, 204), "logout", r)
r = s.get(f"{BASE}/api/user", headers={"Cookie": ""})
check(r.status_code == 401, "after logout -> 401", r)
print("all legacy checks passed")
