// Keeps several players (js/player.js, mounted with controls: false) on one wall clock.
//
// One master clock runs at the chosen speed; every TICK_MS each player's drift (the wall-clock time of
// the frame it shows minus the master's) is corrected: small drifts by nudging that player's playback
// rate for a moment, large ones (a stall, a seek) by seeking it. A camera with no recording at the
// master's time is paused and told so; it rejoins when its recording starts again. While the first
// playing camera is buffering, the master waits for it, so the clock never runs away from the video.
const TICK_MS = 200;
const SEEK_DRIFT_MS = 1000; // beyond this, seek; below, adjust the rate
const DEADBAND_MS = 40; // less than half a frame at 10 fps: leave it alone
const MAX_NUDGE = 0.25; // at most ±25 % of the speed while catching up
const CATCH_UP_SECONDS = 1.5; // a drift is worked off over about this long

export class SyncClock {
  constructor(players, { onTick = () => {} } = {}) {
    this.players = players; // [{ player, id, onGap(bool) }]
    this.onTick = onTick;
    this.rate = 1;
    this.playing = false;
    this.anchorWall = 0;
    this.anchorPerf = 0;
    this.timer = 0;
    this.maxDrift = 0; // the largest spread between cameras seen since the last seek, ms
    this.seeking = new Set();
  }

  now() {
    if (!this.playing) return this.anchorWall;
    return this.anchorWall + (performance.now() - this.anchorPerf) * this.rate;
  }

  setAnchor(wall) {
    this.anchorWall = wall;
    this.anchorPerf = performance.now();
  }

  async seek(wall) {
    const wasPlaying = this.playing;
    this.pause();
    this.setAnchor(wall);
    await Promise.all(this.players.map((entry) => this.place(entry, wall)));
    this.maxDrift = 0;
    if (wasPlaying) this.play();
  }

  async place(entry, wall) {
    const covered = entry.player.covers(wall);
    entry.onGap(!covered);
    if (!covered) {
      entry.player.pause();
      return;
    }
    this.seeking.add(entry);
    try {
      await entry.player.seekWallclock(wall);
    } finally {
      this.seeking.delete(entry);
    }
  }

  play() {
    if (this.playing) return;
    this.setAnchor(this.anchorWall);
    this.playing = true;
    for (const entry of this.players) {
      if (entry.player.covers(this.anchorWall)) {
        entry.player.setRate(this.rate);
        entry.player.play();
      }
    }
    clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  pause() {
    if (this.playing) this.setAnchor(this.now());
    this.playing = false;
    clearInterval(this.timer);
    for (const entry of this.players) entry.player.pause();
  }

  setRate(rate) {
    this.setAnchor(this.now());
    this.rate = rate;
    for (const entry of this.players) entry.player.setRate(rate);
  }

  async step(direction) {
    this.pause();
    const leader = this.players.find((entry) => entry.player.covers(this.anchorWall));
    const interval = leader ? leader.player.state().frameInterval * 1000 : 100;
    const from = leader?.player.wallclock() ?? this.anchorWall;
    await this.seek(from + direction * interval);
  }

  jump(seconds) {
    return this.seek(this.now() + seconds * 1000);
  }

  // The spread of the cameras showing video now: max - min of their frames' wall-clock times, ms.
  spread() {
    const walls = this.players.map((e) => e.player.wallclock()).filter((w, i) => w !== null
      && this.players[i].player.covers(this.now()));
    return walls.length > 1 ? Math.max(...walls) - Math.min(...walls) : 0;
  }

  tick() {
    const target = this.now();
    const active = this.players.filter((entry) => entry.player.covers(target));
    const leader = active[0];
    if (leader && leader.player.state().readyState < 3 && !this.seeking.has(leader)) {
      this.setAnchor(leader.player.wallclock() ?? target); // wait for the leader's buffer
    }
    for (const entry of this.players) {
      if (this.seeking.has(entry)) continue;
      const player = entry.player;
      if (!player.covers(target)) {
        entry.onGap(true);
        if (!player.state().paused) player.pause();
        continue;
      }
      entry.onGap(false);
      const state = player.state();
      if (state.paused) {
        this.place(entry, target).then(() => { if (this.playing) player.play(); });
        continue;
      }
      const wall = player.wallclock();
      const drift = wall === null ? Infinity : wall - target;
      if (Math.abs(drift) > SEEK_DRIFT_MS) {
        this.place(entry, target);
      } else if (Math.abs(drift) > DEADBAND_MS) {
        const nudge = Math.max(-MAX_NUDGE, Math.min(MAX_NUDGE, -drift / 1000 / CATCH_UP_SECONDS));
        player.setRate(this.rate * (1 + nudge));
      } else if (state.rate !== this.rate) {
        player.setRate(this.rate);
      }
    }
    this.maxDrift = Math.max(this.maxDrift, this.spread());
    this.onTick(target);
  }

  destroy() {
    clearInterval(this.timer);
    for (const entry of this.players) entry.player.destroy();
  }
}
