// A Svelte attachment that makes an element accept dropped files. `over` reports whether files are
// being dragged over it (for a visual hint); nested dragenter/dragleave pairs are counted so the hint
// does not flicker over child elements.
import type { Attachment } from 'svelte/attachments';

export function dropTarget(onfiles: (files: File[]) => void, over: (active: boolean) => void): Attachment<HTMLElement> {
  return (element) => {
    let depth = 0;
    const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (depth++ === 0) over(true);
    };
    const leave = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      if (--depth <= 0) {
        depth = 0;
        over(false);
      }
    };
    const overHandler = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const drop = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      over(false);
      const files = Array.from(e.dataTransfer?.files ?? []);
      if (files.length) onfiles(files);
    };
    element.addEventListener('dragenter', enter);
    element.addEventListener('dragleave', leave);
    element.addEventListener('dragover', overHandler);
    element.addEventListener('drop', drop);
    return () => {
      element.removeEventListener('dragenter', enter);
      element.removeEventListener('dragleave', leave);
      element.removeEventListener('dragover', overHandler);
      element.removeEventListener('drop', drop);
    };
  };
}
