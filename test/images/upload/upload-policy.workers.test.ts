import { describe, expect, it } from 'vitest';
import { looksLikeMarkupOrScript } from '../../../src/formats/sniff';
import { problemFor } from '../../../src/http/domain-problems';
import { imageServingHeaders } from '../../../src/http/image-headers';
import { DomainError } from '../../../src/services/errors';
import { classifyUpload, declaredRasterType, type UploadPolicy } from '../../../src/services/upload-policy';
import { bigImage, gif, jpeg, png, svg } from '../../support/images';

const text = (s: string) => new TextEncoder().encode(s);
const FAKE = text('some-fake-bytes');
const strict: UploadPolicy = { kind: 'strict' };
const legacy = (declaredType: string | undefined): UploadPolicy => ({ kind: 'legacy', declaredType });

/** The status and detail a call throws, or undefined when it returns. */
function refusal(call: () => unknown): { status: number; detail: string } | undefined {
  try {
    call();
    return undefined;
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    return { status: problemFor(err).status, detail: err.detail };
  }
}

describe('declaredRasterType', () => {
  it.each([
    ['image/png', 'image/png'],
    ['IMAGE/PNG', 'image/png'],
    [' image/jpeg ; charset=binary', 'image/jpeg'],
    ['image/jpg', 'image/jpeg'],
    ['image/pjpeg', 'image/jpeg'],
    ['image/x-png', 'image/png'],
    ['image/gif', 'image/gif'],
    ['image/webp', 'image/webp'],
    ['image/avif', 'image/avif'],
    ['image/bmp', 'image/bmp'],
    ['image/x-ms-bmp', 'image/bmp'],
    ['image/tiff', 'image/tiff'],
  ])('reads %j as %s', (declared, type) => {
    expect(declaredRasterType(declared)).toBe(type);
  });

  it.each([
    undefined,
    '',
    'text/plain',
    'application/octet-stream',
    'image/svg+xml',
    'image/heic',
    'image/*',
    'text/html',
    'toString',
    '__proto__',
  ])('does not accept %j', (declared) => {
    expect(declaredRasterType(declared)).toBeUndefined();
  });
});

describe('classifyUpload', () => {
  it('stores recognised bytes under the recognised type, verified, whatever the policy or claim', async () => {
    const bytes = await png(3, 2);
    for (const policy of [strict, legacy('image/jpeg'), legacy(undefined), legacy('text/plain')]) {
      expect(classifyUpload(bytes, policy)).toEqual({
        verified: true,
        contentType: 'image/png',
        extension: 'png',
        width: 3,
        height: 2,
      });
    }
    expect(classifyUpload(jpeg(2, 2), legacy('image/gif'))).toMatchObject({
      verified: true,
      contentType: 'image/jpeg',
    });
  });

  it('stores unrecognised bytes on the legacy policy under the declared type, unverified', () => {
    expect(classifyUpload(FAKE, legacy('image/png'))).toEqual({
      verified: false,
      contentType: 'image/png',
      extension: 'png',
    });
    expect(classifyUpload(FAKE, legacy('image/jpg'))).toEqual({
      verified: false,
      contentType: 'image/jpeg',
      extension: 'jpg',
    });
    // Random binary that happens to match nothing is stored too.
    const noise = Uint8Array.from({ length: 2048 }, (_, i) => (i * 97 + 13) & 0xff);
    expect(classifyUpload(noise, legacy('image/webp'))).toMatchObject({ verified: false, contentType: 'image/webp' });
  });

  it('refuses unrecognised bytes on the strict policy, whatever the claim', () => {
    expect(refusal(() => classifyUpload(FAKE, strict))).toEqual({
      status: 415,
      detail: expect.stringMatching(/not a supported image/),
    });
  });

  it.each([
    ['no declared type', FAKE, undefined, /no content type/],
    ['text/plain', FAKE, 'text/plain', /`text\/plain`/],
    ['image/svg+xml', FAKE, 'image/svg+xml', /`image\/svg\+xml`/],
    ['SVG bytes declared image/png', svg({ bom: true, prolog: true }), 'image/png', /SVG/],
    ['HTML declared image/png', text('<!doctype html><p>hi'), 'image/png', /markup or script/],
    ['a script declared image/png', text('x\n<script>alert(1)</script>'), 'image/png', /markup or script/],
  ])('refuses %s on the legacy policy with 415', (_, bytes, declared, says) => {
    const refused = refusal(() => classifyUpload(bytes, legacy(declared)));
    expect(refused?.status).toBe(415);
    expect(refused?.detail).toMatch(says);
  });

  it('quotes at most 100 characters of a declared type', () => {
    const refused = refusal(() => classifyUpload(FAKE, legacy(`text/${'x'.repeat(500)}`)));
    expect(refused?.detail).toContain(`\`text/${'x'.repeat(95)}\``);
    expect(refused?.detail).not.toContain('x'.repeat(101));
  });
});

describe('looksLikeMarkupOrScript', () => {
  const utf16 = (s: string, bigEndian: boolean, bom: boolean) => {
    const out: number[] = bom ? (bigEndian ? [0xfe, 0xff] : [0xff, 0xfe]) : [];
    for (const ch of s) out.push(...(bigEndian ? [0, ch.charCodeAt(0)] : [ch.charCodeAt(0), 0]));
    return Uint8Array.from(out);
  };
  const markup: [string, Uint8Array][] = [
    ['an SVG', svg()],
    ['an SVG with BOM, prolog and comment', svg({ bom: true, prolog: true, comment: true })],
    ['HTML', text('<!DOCTYPE html><html></html>')],
    ['HTML after whitespace', text(' \r\n\t<html>')],
    ['an XML prolog', text('<?xml version="1.0"?><a/>')],
    ['PHP', text('<?php echo 1;')],
    ['a comment', text('<!-- x -->')],
    ['any leading tag', text('<b>bold</b>')],
    ['a script tag after other text', text('GIF-ish junk <SCRIPT src=x></SCRIPT>')],
    ['an iframe after binary', Uint8Array.from([0, 1, 2, 255, ...text('<iframe src=x>')])],
    ['an img onerror after text', text('hello <img src=x onerror=alert(1)>')],
    ['a shebang', text('#!/usr/bin/env python\n')],
    ['a PDF', text('%PDF-1.4\n')],
    ['UTF-16LE HTML with a BOM', utf16('<html>', false, true)],
    ['UTF-16BE HTML with a BOM', utf16('<html>', true, true)],
    ['UTF-16LE HTML without a BOM', utf16('<html>', false, false)],
    ['UTF-16BE script without a BOM', utf16('hi <script>', true, false)],
    ['UTF-8 BOM then markup', Uint8Array.from([0xef, 0xbb, 0xbf, ...text('<p>')])],
  ];
  it.each(markup)('takes %s for markup or script', (_, bytes) => {
    expect(looksLikeMarkupOrScript(bytes)).toBe(true);
  });

  const other: [string, Uint8Array][] = [
    ['the fake bytes', FAKE],
    ['empty input', new Uint8Array()],
    ['plain text with a less-than sign', text('1 < 2 and <scripted> is not a tag')],
    ['a PNG', bigImage(5000)],
    ['a GIF', gif(3, 3)],
    ['random bytes', Uint8Array.from({ length: 4096 }, (_, i) => (i * 73 + 11) & 0xff)],
  ];
  it.each(other)('does not take %s for markup', (_, bytes) => {
    expect(looksLikeMarkupOrScript(bytes)).toBe(false);
  });

  it('looks only at the first 4 KiB for tags further in', () => {
    const far = text(`${'a'.repeat(5000)}<script>`);
    expect(looksLikeMarkupOrScript(far)).toBe(false);
  });
});

describe('unverified images', () => {
  it('are served as downloads only; verified images inline', () => {
    expect(imageServingHeaders({ name: 'a b.png', verified: false })).toEqual({
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': 'sandbox',
      'Content-Disposition': `attachment; filename="a b.png"; filename*=UTF-8''a%20b.png`,
    });
    expect(imageServingHeaders({ name: 'a b.png', verified: true })).toEqual({
      'X-Content-Type-Options': 'nosniff',
      'Content-Disposition': `inline; filename="a b.png"; filename*=UTF-8''a%20b.png`,
    });
  });
});
