/**
 * `make demo`: uploads a few generated sample images and a short video to the deployed stack (stage
 * `local` by default), waits for their thumbnails (the video's poster and storyboard), downloads them into
 * ./out/ and writes a contact sheet (out/index.html and out/contact-sheet.png).
 */
import { Jimp, JimpMime } from 'jimp';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fitInside } from '../src/thumbnail/sizes';
import { makePhotoJpeg, makePhotoPng, withExifOrientation } from '../tests/support/sample-images';
import { makeVideo } from '../tests/support/sample-videos';
import { eventually } from '../tests/support/eventually';
import {
  deletePrefix,
  describeStack,
  download,
  listKeys,
  STACK_NAME,
  upload,
  waitForThumbnails,
} from '../tests/support/stack';

const OUT_DIR = 'out';

interface Sample {
  key: string;
  body: Buffer;
  note: string;
  /** A video: its poster and storyboard are shown (its frames and WebVTT stay in the bucket and ./out/). */
  video?: boolean;
}

async function samples(): Promise<Sample[]> {
  return [
    { key: 'demo/landscape.jpg', body: await makePhotoJpeg(2400, 1600, 1), note: '2400x1600 JPEG' },
    {
      key: 'demo/phone portrait.JPG',
      body: withExifOrientation(await makePhotoJpeg(1600, 1200, 2), 6),
      note: 'stored 1600x1200 with EXIF orientation 6: upright it is 1200x1600',
    },
    {
      key: 'demo/sticker with alpha.png',
      body: await makePhotoPng(800, 800, 3),
      note: '800x800 PNG, transparent edges',
    },
    { key: 'demo/café menu ☕.jpg', body: await makePhotoJpeg(1024, 768, 4), note: '1024x768 JPEG, non-ASCII key' },
    {
      key: 'demo/clip.mp4',
      body: await makeVideo({ width: 640, height: 360, seconds: 4, blackSeconds: 1 }),
      note: '5 s 640x360 H.264 MP4 opening on 1 s of black (made by the packaged ffmpeg): poster and 16-frame storyboard',
      video: true,
    },
  ];
}

interface Row {
  source: string;
  size: string;
  dimensions: string;
  bytes: number;
  ms: number;
  file: string;
}

function printTable(rows: Row[]): void {
  const headers = ['source', 'size', 'output', 'bytes', 'ms'];
  const cells = rows.map((row) => [row.source, row.size, row.dimensions, String(row.bytes), String(row.ms)]);
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((line) => line[i]!.length)));
  const format = (line: string[]) =>
    line.map((cell, i) => (i >= 3 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ');
  console.log(format(headers));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const line of cells) console.log(format(line));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

async function writeContactSheet(sources: Sample[], rows: Row[]): Promise<void> {
  const sections = sources.map((sample) => {
    const figures = rows
      .filter((row) => row.source === sample.key)
      .map(
        (row) =>
          `<figure><img src="${encodeURI(row.file)}" style="max-width:480px"><figcaption>${row.size} → ${row.dimensions}, ${row.bytes} B</figcaption></figure>`,
      )
      .join('\n');
    const vtt = sample.video ? ` <a href="${encodeURI(`${sample.key}/storyboard.vtt`)}">storyboard.vtt</a>` : '';
    return `<section><h2>${escapeHtml(sample.key)}</h2><p>${escapeHtml(sample.note)}${vtt}</p>\n${figures}</section>`;
  });
  const html = `<!doctype html><meta charset="utf-8"><title>Thumbnails</title>
<style>body{font-family:sans-serif;background:#eee}figure{display:inline-block;vertical-align:top;margin:8px;
background:repeating-conic-gradient(#ccc 0 25%,#fff 0 50%) 0 0/16px 16px}figcaption{background:#fff;font-size:12px}</style>
<h1>Thumbnails from ${escapeHtml(STACK_NAME)}</h1>
${sections.join('\n')}`;
  await writeFile(join(OUT_DIR, 'index.html'), html);

  // The same sheet as one PNG: a row per source, each thumbnail at its own size (the large ones
  // shrunk to at most 320 px so the sheet stays small).
  const padding = 12;
  const row = await Promise.all(
    sources.map(async (sample) =>
      Promise.all(
        rows
          .filter((line) => line.source === sample.key)
          .map(async (line) => {
            const image = await Jimp.read(join(OUT_DIR, line.file));
            const fit = fitInside(
              { width: image.bitmap.width, height: image.bitmap.height },
              { width: 320, height: 320, label: '' },
            );
            if (fit.width !== image.bitmap.width) image.resize({ w: fit.width, h: fit.height });
            return image;
          }),
      ),
    ),
  );
  const width = Math.max(
    ...row.map((images) => images.reduce((sum, image) => sum + image.bitmap.width + padding, padding)),
  );
  const heights = row.map((images) => Math.max(...images.map((image) => image.bitmap.height)) + padding);
  const sheet = new Jimp({ width, height: heights.reduce((sum, h) => sum + h, padding), color: 0xddddddff });
  let y = padding;
  row.forEach((images, i) => {
    let x = padding;
    for (const image of images) {
      sheet.composite(image, x, y);
      x += image.bitmap.width + padding;
    }
    y += heights[i]!;
  });
  await writeFile(join(OUT_DIR, 'contact-sheet.png'), await sheet.getBuffer(JimpMime.png));
}

async function main(): Promise<void> {
  const stack = await describeStack();
  console.log(`Stack ${STACK_NAME}: images → s3://${stack.imagesBucket}, thumbnails → s3://${stack.thumbnailsBucket}`);
  const sources = await samples();
  // Start clean, so every thumbnail waited for below comes from this run.
  await deletePrefix(stack.thumbnailsBucket, 'demo/');

  const uploadedAt = new Map<string, number>();
  for (const sample of sources) {
    await upload(stack.imagesBucket, sample.key, sample.body);
    uploadedAt.set(sample.key, Date.now());
    console.log(`uploaded ${sample.key} (${sample.body.length} bytes: ${sample.note})`);
  }

  const rows: Row[] = [];
  process.stdout.write('waiting for thumbnails ');
  for (const sample of sources) {
    let keys = await waitForThumbnails(stack, sample.key, {
      timeoutMs: 120_000,
      onPoll: () => process.stdout.write('.'),
    });
    if (sample.video) {
      // The WebVTT is written last; the poster and the sprite are what the sheet shows.
      const all = await eventually(`the storyboard of ${sample.key}`, async () => {
        process.stdout.write('.');
        const found = await listKeys(stack.thumbnailsBucket, `${sample.key}/`);
        return found.includes(`${sample.key}/storyboard.vtt`) ? found : undefined;
      });
      const vtt = await download(stack.thumbnailsBucket, `${sample.key}/storyboard.vtt`);
      await mkdir(join(OUT_DIR, sample.key), { recursive: true });
      await writeFile(join(OUT_DIR, sample.key, 'storyboard.vtt'), vtt.body);
      keys = all.filter((key) => !key.includes('/frames/') && !key.endsWith('.vtt'));
    }
    const ms = Date.now() - uploadedAt.get(sample.key)!;
    for (const key of keys) {
      const thumbnail = await download(stack.thumbnailsBucket, key);
      const image = await Jimp.fromBuffer(thumbnail.body);
      const file = key; // out/<source key>/<WIDTHxHEIGHT>.<ext>, as in the bucket
      await mkdir(join(OUT_DIR, dirname(file)), { recursive: true });
      await writeFile(join(OUT_DIR, file), thumbnail.body);
      rows.push({
        source: sample.key,
        size: key.slice(sample.key.length + 1).replace(/\.\w+$/, ''),
        dimensions: `${image.bitmap.width}x${image.bitmap.height}`,
        bytes: thumbnail.body.length,
        ms,
        file,
      });
    }
  }
  console.log(' done.\n');
  rows.sort((a, b) => a.source.localeCompare(b.source) || a.bytes - b.bytes);
  printTable(rows);
  await writeContactSheet(sources, rows);
  console.log(`\nThumbnails are in ./${OUT_DIR}/; open ${OUT_DIR}/index.html or ${OUT_DIR}/contact-sheet.png.`);
  console.log('("ms" is upload to last thumbnail listed, measured by polling every 500 ms.)');
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
