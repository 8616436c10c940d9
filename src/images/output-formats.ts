import type { OutputFormat, OutputFormatSetting } from './types';

/** Output formats and how each is named and served; a leaf, so keys and config can use it without codecs. */
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['jpeg', 'png', 'webp', 'avif'];

export const EXTENSIONS: Record<OutputFormat, string> = { jpeg: 'jpg', png: 'png', webp: 'webp', avif: 'avif' };

export const CONTENT_TYPES: Record<OutputFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  avif: 'image/avif',
};

export function isOutputFormatSetting(value: string): value is OutputFormatSetting {
  return value === 'auto' || (OUTPUT_FORMATS as readonly string[]).includes(value);
}
