import { render } from 'preact';
import { useState } from 'preact/hooks';
import { html } from './html.js';
import { getJson } from './api.js';
import { useEventStream, useSnapshot } from './live.js';
import { TryIt } from './try-it.js';
import { EventDetail, EventStream } from './event-stream.js';
import { Lanes } from './lanes.js';
import { OutboxAndDeadLetters } from './dead-letters.js';
import { Mails } from './mails.js';

function App({ config }) {
  const { events, status } = useEventStream();
  const { snapshot, error, refresh } = useSnapshot(1000);
  const [filter, setFilter] = useState(null);
  const [followActions, setFollowActions] = useState(true);
  const [selected, setSelected] = useState(null);

  const groups = snapshot?.groups.value ?? [];
  const outboxes = snapshot?.outboxes.value ?? [];
  const deadLetters = snapshot?.deadLetters.value?.deadLetters ?? [];
  const mails = snapshot?.mails.value ?? { reachable: false, mails: [], mailUi: config.mailUi };
  const selectedEvent = events.find((event) => event.sequence === selected);
  const problems = [error, ...['groups', 'outboxes', 'deadLetters', 'mails'].map((part) => snapshot?.[part].error && `${part}: ${snapshot[part].error}`)].filter(Boolean);
  const follow = (correlationId) => {
    setFilter(correlationId || null);
    setSelected(null);
  };

  return html`
    <header class="top">
      <h1>eventshop <span>console</span></h1>
      <form class="filter" role="search" onSubmit=${(e) => e.preventDefault()}>
        <label for="correlation-filter">Follow correlation id</label>
        <input
          id="correlation-filter"
          type="search"
          placeholder="any"
          value=${filter ?? ''}
          onInput=${(e) => follow(e.currentTarget.value.trim())}
        />
        ${filter && html`<button type="button" onClick=${() => follow(null)}>Show all</button>`}
        <label class="check"><input type="checkbox" checked=${followActions} onChange=${(e) => setFollowActions(e.currentTarget.checked)} /> follow my actions</label>
      </form>
      <nav aria-label="Other tools">
        <a href=${config.mailUi} target="_blank" rel="noopener">MailDev</a>
        ${config.jaegerUi && html`<a href=${config.jaegerUi} target="_blank" rel="noopener">Jaeger</a>`}
      </nav>
    </header>
    ${problems.length > 0 && html`<p class="warning banner" role="alert">${problems.join(' · ')}</p>`}
    <main class="layout">
      <${TryIt} onAction=${(correlationId) => followActions && follow(correlationId)} />
      <div class="middle">
        <${EventDetail}
          event=${selectedEvent}
          groups=${groups}
          deadLetters=${deadLetters}
          jaegerUi=${config.jaegerUi}
          onFilter=${follow}
          onClose=${() => setSelected(null)}
        />
        <${EventStream} events=${events} status=${status} filter=${filter} selected=${selected} onSelect=${setSelected} />
      </div>
      <div class="side">
        <${OutboxAndDeadLetters}
          outboxes=${outboxes}
          deadLetters=${deadLetters}
          total=${snapshot?.deadLetters.value?.total ?? 0}
          adminEnabled=${config.adminEnabled}
          onChanged=${refresh}
          onSelectCorrelation=${follow}
        />
        <${Mails} mails=${mails.mails} reachable=${mails.reachable} mailUi=${mails.mailUi} events=${events} filter=${filter} />
      </div>
      <${Lanes}
        services=${config.services}
        events=${filter ? events.filter((event) => event.correlationId === filter) : events}
        groups=${groups}
        outboxes=${outboxes}
        deadLetters=${deadLetters}
        onSelect=${setSelected}
      />
    </main>
  `;
}

const config = await getJson('/api/config');
const root = document.getElementById('app');
root.replaceChildren();
render(html`<${App} config=${config} />`, root);
