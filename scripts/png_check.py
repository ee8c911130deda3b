#!/usr/bin/env python3
"""Checks that a screenshot (PNG) shows a rendered page, not a blank or broken one.

Standard library only: decodes 8-bit RGB/RGBA non-interlaced PNGs (what Chromium writes) and
requires many distinct colours, a good share of pixels away from the background, and both chart
colours of the report (blue #2563eb, orange #ea580c) in quantity.

Usage: png_check.py FILE.png [--expect-blank]
"""
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path}: not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        raise SystemExit(f"{path}: unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace})")
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def near(pixel, target, tolerance=24):
    return all(abs(p - t) <= tolerance for p, t in zip(pixel, target))


def main():
    path, expect_blank = sys.argv[1], "--expect-blank" in sys.argv
    width, height, bpp, rows = decode(path)
    colours, away, blue, orange, total = set(), 0, 0, 0, 0
    background = (0xF3, 0xF4, 0xF6)
    for row in rows[::2]:
        for x in range(0, width * bpp, bpp * 2):
            px = tuple(row[x:x + 3])
            total += 1
            colours.add(px)
            away += not near(px, background, 4)
            blue += near(px, (0x25, 0x63, 0xEB))
            orange += near(px, (0xEA, 0x58, 0x0C))
    share = away / total
    verdict = len(colours) >= 50 and share >= 0.10 and blue >= 2000 and orange >= 500
    print(f"{path}: {width}x{height}, {len(colours)} colours, {share:.1%} off the background, "
          f"{blue} blue and {orange} orange sample pixels: {'rendered' if verdict else 'blank or broken'}")
    if verdict == expect_blank:
        sys.exit(1)


if __name__ == "__main__":
    main()
