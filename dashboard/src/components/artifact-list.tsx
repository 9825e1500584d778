/**
 * A job's artifacts (docs/ARTIFACTS.md) with a preview by type — an image, an audio or
 * video player, the first part of a JSON or text file — its size and a download link.
 * Every URL is the artifact's signed link, so the media elements need no API key.
 */
import { useEffect, useState } from 'react';
import type { ArtifactView } from '../../../src/client/index.js';
import { bytes, json } from './format.js';

const textPreviewBytes = 64 * 1024;

function TextPreview({ artifact }: { artifact: ArtifactView }) {
  const [text, setText] = useState<string | null>(null);
  useEffect(() => {
    let stopped = false;
    fetch(artifact.url, { headers: { range: `bytes=0-${textPreviewBytes - 1}` } })
      .then((response) => response.text())
      .then((body) => {
        if (stopped) return;
        if (artifact.contentType.includes('json') && artifact.size <= textPreviewBytes) {
          try {
            setText(json(JSON.parse(body)));
            return;
          } catch {}
        }
        setText(body);
      })
      .catch(() => !stopped && setText('(could not load the preview)'));
    return () => {
      stopped = true;
    };
  }, [artifact.url, artifact.contentType, artifact.size]);
  return <pre className="code artifact-text">{text ?? '…'}</pre>;
}

function Preview({ artifact }: { artifact: ArtifactView }) {
  const type = artifact.contentType.split(';')[0]!.trim();
  if (type.startsWith('image/'))
    return <img className="artifact-media" src={artifact.url} alt={artifact.name} />;
  if (type.startsWith('audio/'))
    // biome-ignore lint/a11y/useMediaCaption: a job's audio output has no captions to offer.
    return <audio className="artifact-media" controls preload="metadata" src={artifact.url} />;
  if (type.startsWith('video/'))
    // biome-ignore lint/a11y/useMediaCaption: a job's video output has no captions to offer.
    return <video className="artifact-media" controls preload="metadata" src={artifact.url} />;
  if (type.startsWith('text/') || type.includes('json')) return <TextPreview artifact={artifact} />;
  return null;
}

export function ArtifactList({ items }: { items: ArtifactView[] }) {
  if (items.length === 0) return <p className="muted">No artifacts.</p>;
  return (
    <ul className="artifact-list" aria-label="Artifacts">
      {items.map((artifact) => (
        <li key={artifact.name} className="artifact">
          <div className="artifact-head">
            <strong>{artifact.name}</strong>
            <span className="muted">
              {artifact.contentType} · {bytes(artifact.size)}
            </span>
            <a href={artifact.url} download={artifact.name}>
              Download
            </a>
          </div>
          <Preview artifact={artifact} />
        </li>
      ))}
    </ul>
  );
}
