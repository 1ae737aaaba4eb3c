// The public live feed (Server-Sent Events at /api/v1/sessions/{id}/feed).
//
// EventSource reconnects by itself after a dropped connection and sends Last-Event-ID, so the
// server resumes after the last message received. If the browser gives up (the server answered
// with an error, or ended the stream of a client that fell behind), we reconnect ourselves with
// ?after=<last id>, backing off up to 30 s.

import { path } from './api.js';

export class Feed {
  /**
   * @param {string} sessionId
   * @param {{after?: number, onMessage: (msg: object, id: number) => void,
   *          onStatus?: (status: 'connecting'|'live'|'reconnecting') => void}} options
   */
  constructor(sessionId, { after = 0, onMessage, onStatus = () => {} }) {
    this.sessionId = sessionId;
    this.last = after;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.source = null;
    this.timer = null;
    this.delay = 2000;
    this.stopped = false;
  }

  start() {
    this.stopped = false;
    this.connect();
    return this;
  }

  connect() {
    if (this.stopped) return;
    this.onStatus('connecting');
    const source = new EventSource(`${path`/api/v1/sessions/${this.sessionId}/feed`}?after=${this.last}`);
    this.source = source;
    source.addEventListener('open', () => {
      this.delay = 2000;
      this.onStatus('live');
    });
    source.addEventListener('update', (event) => {
      const id = Number.parseInt(event.lastEventId, 10);
      if (Number.isFinite(id)) {
        if (id <= this.last) return; // already seen (a replayed backlog after a reconnect)
        this.last = id;
      }
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      this.onMessage(message, id);
    });
    source.addEventListener('error', () => {
      if (this.stopped) return;
      this.onStatus('reconnecting');
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.connect(), this.delay);
        this.delay = Math.min(this.delay * 2, 30000);
      }
    });
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.source) this.source.close();
    this.source = null;
  }
}
