import { useEffect, useState } from 'preact/hooks';
import type { CompareData } from '../compareProtocol';
import type { CompareClient } from './client';
import { CompareView, type DiffSide } from './view';

/** The panel: loads the comparison, follows the host's updates, and turns clicks into requests. */
export function App({ client, groupId }: { client: CompareClient<{ groupId: string }>; groupId: string }) {
  const [data, setData] = useState<CompareData | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [keeping, setKeeping] = useState<string | undefined>();

  useEffect(() => {
    const off = client.on('compareChanged', setData);
    client.request('compareLoad', { groupId }).then(setData, (e: Error) => setError(e.message));
    client.command('ready', {});
    return off;
  }, [groupId]);

  const fail = (e: Error) => setNotice(e.message);
  const onDiff = (path: string, left: DiffSide, right: DiffSide) => void client.request('compareOpenDiff', { groupId, path, left, right }).catch(fail);
  const onOpenChat = (agentId: string) => void client.request('compareOpenChat', { agentId }).catch(fail);
  const onKeep = (attemptId: string) => {
    setKeeping(attemptId);
    setNotice(undefined);
    client
      .request('compareKeep', { groupId, attemptId })
      .then((r) => setNotice(r.message), fail)
      .finally(() => setKeeping(undefined));
  };

  if (error) return <p class="error" role="alert">The comparison could not be read: {error}</p>;
  if (!data) return <p class="loading">Loading…</p>;
  return <CompareView data={data} notice={notice} keeping={keeping} onDiff={onDiff} onKeep={onKeep} onOpenChat={onOpenChat} />;
}
