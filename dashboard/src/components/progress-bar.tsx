/** A job's progress: an ARIA progressbar with its percent, stage and message. */
export function ProgressBar({
  percent,
  stage,
  message,
  label,
  status,
}: {
  percent: number;
  stage?: string | null;
  message?: string | null;
  label: string;
  status?: string;
}) {
  const value = Math.max(0, Math.min(100, Math.round(percent)));
  return (
    <div className="progress" data-status={status}>
      <div
        className="progress-track"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={value}
        aria-valuetext={`${value}%${stage ? ` — ${stage}` : ''}`}
      >
        <div className="progress-fill" style={{ width: `${value}%` }} />
      </div>
      <div className="progress-text">
        <span className="progress-percent">{value}%</span>
        {stage ? <span className="progress-stage">{stage}</span> : null}
        {message ? <span className="progress-message">{message}</span> : null}
      </div>
    </div>
  );
}
