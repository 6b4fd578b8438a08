/// <reference lib="dom" />
// The trained adapter as three downloads, exactly the files `peft` and `TunedModel.save(dir)` write: adapter_config.json,
// adapter_model.safetensors and peft_tfjs.json (`toBytes()` holds their bytes). Put them in one folder and `loadAdapter(folder, model)`
// or `peft generate --adapter folder` reads them.
import { ADAPTER_CONFIG_FILE, ADAPTER_METADATA_FILE, ADAPTER_WEIGHTS_FILE, type AdapterBytes } from '@peft/core';

function sizeInWords(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} kB`;
}

/** Points `link` at a download of `bytes` named `name` (a previous download URL of the link is released). */
function offer(link: HTMLAnchorElement, name: string, bytes: Uint8Array | string, type: string): void {
  if (link.href.startsWith('blob:')) URL.revokeObjectURL(link.href);
  const blob = new Blob([bytes as BlobPart], { type });
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.textContent = `${name} (${sizeInWords(blob.size)})`;
  link.hidden = false;
}

/** Offers the adapter's three files through the three links. */
export function offerAdapter(
  files: AdapterBytes,
  links: { config: HTMLAnchorElement; weights: HTMLAnchorElement; metadata: HTMLAnchorElement },
): void {
  offer(links.config, ADAPTER_CONFIG_FILE, files.configText, 'application/json');
  offer(links.weights, ADAPTER_WEIGHTS_FILE, files.weights, 'application/octet-stream');
  offer(links.metadata, ADAPTER_METADATA_FILE, files.metadataText, 'application/json');
}
