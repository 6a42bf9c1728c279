// The chat sanitises its HTML with DOMPurify, which needs a DOM: under Node the views' tests give
// it jsdom's (the DOM DOMPurify's own documentation names for Node). Import this first.
import { JSDOM } from 'jsdom';

export const testWindow = new JSDOM('<!DOCTYPE html><html><head></head><body></body></html>').window;
Object.assign(globalThis, { window: testWindow });
