import { useState } from 'preact/hooks';
import type { ChatImage, ChatImageUpload } from '../protocol';
import { CHAT_IMAGE_LIMITS } from '../protocolLimits';

/** An image attached to the draft, not sent yet: its bytes as base64. */
export interface Attachment extends ChatImageUpload {
  key: number;
  bytes: number;
}

const TYPES: readonly string[] = CHAT_IMAGE_LIMITS.types;

function megabytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${+(bytes / 1024 / 1024).toFixed(2)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/** Base64 of bytes, a slice at a time (one call with millions of arguments would overflow the stack). */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** The image files of a paste or a drop (what else it holds is left to the text box). */
export function imageFilesOf(data: DataTransfer | null): File[] {
  return [...(data?.files ?? [])].filter((file) => file.type.startsWith('image/'));
}

/**
 * The images attached to the draft: each checked as it comes (its type, its size, how many, and
 * their total), so that what the host would refuse is refused here, naming the file and the
 * limit; removed one by one; sent with the draft, and cleared once the host took the message.
 */
export class Attachments {
  private list: Attachment[] = [];
  private next = 0;

  constructor(private readonly on: { change: () => void; error: (message: string) => void }) {}

  get items(): readonly Attachment[] {
    return this.list;
  }

  /** Attaches files, each once read; one that would be refused is not, and the user is told why. */
  async add(files: readonly File[]): Promise<void> {
    for (const file of files) {
      const problem = this.problemOf(file);
      if (problem) {
        this.on.error(problem);
        continue;
      }
      const data = toBase64(new Uint8Array(await file.arrayBuffer()));
      // Checked again: other files may have been attached while this one was read.
      const late = this.problemOf(file);
      if (late) {
        this.on.error(late);
        continue;
      }
      this.list = [...this.list, { key: this.next++, name: file.name || 'Pasted image', mediaType: file.type, bytes: file.size, data }];
      this.on.change();
    }
  }

  private problemOf(file: File): string | undefined {
    const name = `"${file.name || 'The pasted image'}"`;
    if (!TYPES.includes(file.type)) return `${name} is not a PNG, JPEG, GIF or WebP image, the types Claude reads. Convert it to one of them first.`;
    if (file.size > CHAT_IMAGE_LIMITS.maxBytes) {
      return `${name} is ${megabytes(file.size)}: an image can be at most ${megabytes(CHAT_IMAGE_LIMITS.maxBytes)} (5 MB once encoded, the Messages API's limit). Make it smaller, then attach it again.`;
    }
    if (this.list.length >= CHAT_IMAGE_LIMITS.maxPerMessage) return `A message can carry at most ${CHAT_IMAGE_LIMITS.maxPerMessage} images: ${name} was not attached. Send it in another message.`;
    const total = this.list.reduce((sum, a) => sum + a.bytes, file.size);
    if (total > CHAT_IMAGE_LIMITS.maxTotalBytes) return `A message can carry at most ${megabytes(CHAT_IMAGE_LIMITS.maxTotalBytes)} of images: ${name} would make ${megabytes(total)}. Send it in another message.`;
    return undefined;
  }

  remove(key: number): void {
    this.list = this.list.filter((a) => a.key !== key);
    this.on.change();
  }

  clear(): void {
    if (this.list.length === 0) return;
    this.list = [];
    this.on.change();
  }

  /** What `chatSend` carries of them. */
  uploads(): ChatImageUpload[] {
    return this.list.map(({ name, mediaType, data }) => ({ name, mediaType, data }));
  }
}

/** The images attached to the draft, above the text box: a small preview, the name and size, and Remove (not while it is being sent). */
export function AttachmentRow(props: { items: readonly Attachment[]; sending: boolean; onRemove: (key: number) => void }) {
  if (props.items.length === 0) return null;
  return (
    <ul class="attachments" aria-label="Images to send">
      {props.items.map((a) => (
        <li key={a.key} class="attachment" data-testid="attachment" title={`${a.name}, ${megabytes(a.bytes)}`}>
          <img src={`data:${a.mediaType};base64,${a.data}`} alt="" />
          <span class="attachment-name">{a.name}</span>
          <span class="attachment-size">{megabytes(a.bytes)}</span>
          <button type="button" class="icon attachment-remove" aria-label={`Remove ${a.name}`} title="Remove" disabled={props.sending} onClick={() => props.onRemove(a.key)}>
            ✕
          </button>
        </li>
      ))}
    </ul>
  );
}

/** One image of a message: a thumbnail that a click shows larger (and smaller again); a file gone says so. */
function Thumbnail({ image }: { image: ChatImage }) {
  const [large, setLarge] = useState(false);
  const [failed, setFailed] = useState(false);
  const label = image.name ?? 'Image';
  if (!image.src || failed) {
    return (
      <span class="thumbnail missing" data-testid="message-image-missing" title="Its file is gone, or its type is unknown to this version.">
        {label} ({megabytes(image.bytes)}): not available
      </span>
    );
  }
  return (
    <button type="button" class={`thumbnail${large ? ' large' : ''}`} aria-pressed={large} aria-label={`${label}, ${megabytes(image.bytes)}: ${large ? 'show smaller' : 'show larger'}`} onClick={() => setLarge(!large)}>
      <img src={image.src} alt={label} data-testid="message-image" onError={() => setFailed(true)} />
    </button>
  );
}

/** The images of a message (sent by the user, or carried by a tool's result), as thumbnails. */
export function Thumbnails({ images }: { images: readonly ChatImage[] }) {
  return (
    <div class="thumbnails">
      {images.map((image) => (
        <Thumbnail key={image.id} image={image} />
      ))}
    </div>
  );
}
