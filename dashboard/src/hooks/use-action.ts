import { useState } from 'react';
import { errorText } from '../components/notice.js';

/**
 * An operator action on a page: runs it, then says `done` (or the error) and lets the
 * page reload what it shows. `failure` is the error text of the last action, if it failed.
 */
export function useAction(reload: () => void) {
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const act = async (run: () => Promise<unknown>, done: string) => {
    setFailure(null);
    try {
      await run();
      setNotice(done);
      reload();
    } catch (error) {
      setNotice(null);
      setFailure(errorText(error));
    }
  };
  return { notice, failure, act };
}
