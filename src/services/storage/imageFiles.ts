import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PrivateFolder } from '../privateFolder';
import { ClaudeManagerError } from '../errors';
import { newId } from '../ids';
import { type Check, fields, int, matching, optional, string } from './decode';

/** The image types the Messages API takes, each with the extension its file is kept under. */
export const IMAGE_TYPES = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/webp': 'webp' } as const;
export type ImageMediaType = keyof typeof IMAGE_TYPES;

/** The folder of the store (beside `messages/`) where the images are kept. */
export const IMAGES_FOLDER = 'images';

export function isImageMediaType(value: string): value is ImageMediaType {
  return Object.prototype.hasOwnProperty.call(IMAGE_TYPES, value);
}

/**
 * An image of a message (one the user sent, or one a tool's result carried), as the message
 * holds it: a reference to a file of its own, never the bytes, so that reading a page of the
 * conversation does not read its images.
 */
export interface MessageImage {
  /** "img_…": the file is `<id>.<extension of its type>` in the agent's folder of images. */
  id: string;
  /** One of `IMAGE_TYPES` when written by this version; any `image/…` is read back (a later version's). */
  mediaType: string;
  /** The file's size. */
  bytes: number;
  /** The name of the file the user attached (a tool's images have none). */
  name?: string | undefined;
}

const IMAGE_ID = /^img_[A-Za-z0-9_-]+$/;

/** Checks a stored image reference. */
export const imageCheck: Check<MessageImage> = fields<MessageImage>({
  id: matching(IMAGE_ID),
  mediaType: matching(/^image\/[a-z0-9.+-]+$/),
  bytes: int(0),
  name: optional(string),
});

/** An image to keep: its bytes, their type, and the name the user gave it. */
export interface ImageToKeep {
  mediaType: ImageMediaType;
  data: Buffer;
  name?: string | undefined;
}

/**
 * The images of the agents' messages, one file each under `<dir>/<agentId>/`, next to the
 * message logs (the store's folder). Files are written whole through a rename, so a reader never
 * sees half of one; the folders are the user's alone (0700), the files too (0600). An agent's
 * folder goes when its messages are deleted for good (`MessageStore.deleteAgent`).
 */
export class ImageFiles {
  private readonly folders: PrivateFolder;

  constructor(readonly dir: string) {
    this.folders = new PrivateFolder(dir);
  }

  /** The folder of an agent's images. */
  agentDir(agentId: string): string {
    if (!/^ag_[A-Za-z0-9_-]+$/.test(agentId)) throw new ClaudeManagerError('INVALID_INPUT', `"${agentId}" is not an agent id.`);
    return join(this.dir, agentId);
  }

  /** Where an image's file is; undefined for a reference this version cannot name (a type it does not know). */
  pathOf(agentId: string, image: MessageImage): string | undefined {
    if (!IMAGE_ID.test(image.id) || !isImageMediaType(image.mediaType)) return undefined;
    return join(this.agentDir(agentId), `${image.id}.${IMAGE_TYPES[image.mediaType]}`);
  }

  private async ready(agentId: string): Promise<string> {
    return this.folders.ready(this.agentDir(agentId));
  }

  /** Keeps images for an agent's message; resolves with their references once every file is written. */
  async save(agentId: string, images: readonly ImageToKeep[]): Promise<MessageImage[]> {
    if (images.length === 0) return [];
    await this.ready(agentId);
    const saved: MessageImage[] = [];
    try {
      for (const image of images) {
        const ref: MessageImage = { id: newId('img'), mediaType: image.mediaType, bytes: image.data.length, ...(image.name ? { name: image.name } : {}) };
        const path = this.pathOf(agentId, ref)!;
        const temp = `${path}.${process.pid}.tmp`;
        await writeFile(temp, image.data, { mode: 0o600 });
        await rename(temp, path);
        saved.push(ref);
      }
    } catch (error) {
      await this.remove(agentId, saved);
      throw new ClaudeManagerError('STORAGE_FAILED', `The image could not be kept: ${(error as Error).message}`, { cause: error });
    }
    return saved;
  }

  /** The bytes of kept images, in order; NOT_FOUND names one whose file is gone. */
  async readAll(agentId: string, images: readonly MessageImage[]): Promise<Buffer[]> {
    return Promise.all(
      images.map(async (image) => {
        const path = this.pathOf(agentId, image);
        try {
          if (path) return await readFile(path);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
        throw new ClaudeManagerError('NOT_FOUND', `The image ${image.name ?? image.id} is not kept any more: attach it again.`);
      }),
    );
  }

  /** An image by its id alone (its type from its file's name); NOT_FOUND when the agent keeps none of that id. */
  async find(agentId: string, imageId: string): Promise<{ mediaType: ImageMediaType; data: Buffer }> {
    if (IMAGE_ID.test(imageId)) {
      for (const [mediaType, extension] of Object.entries(IMAGE_TYPES) as [ImageMediaType, string][]) {
        try {
          return { mediaType, data: await readFile(join(this.agentDir(agentId), `${imageId}.${extension}`)) };
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      }
    }
    throw new ClaudeManagerError('NOT_FOUND', `Agent ${agentId} keeps no image ${imageId}: its message may have been deleted.`);
  }

  /** Forgets images (those of a message that could not be sent). */
  async remove(agentId: string, images: readonly MessageImage[]): Promise<void> {
    for (const image of images) {
      const path = this.pathOf(agentId, image);
      if (path) await rm(path, { force: true });
    }
  }
}
