// The alarm for incidents not acknowledged in time: a short two-tone beep made with Web Audio (no file).
// Each beep is counted on <body data-alarms> so a test (or a kiosk's watchdog) can tell it sounded.
let audio;

export function alarm() {
  document.body.dataset.alarms = String(Number(document.body.dataset.alarms || 0) + 1);
  try {
    audio = audio || new AudioContext();
    const now = audio.currentTime;
    for (const [offset, pitch] of [[0, 880], [0.18, 660]]) {
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = pitch;
      gain.gain.setValueAtTime(0.2, now + offset);
      gain.gain.exponentialRampToValueAtTime(0.001, now + offset + 0.16);
      tone.connect(gain).connect(audio.destination);
      tone.start(now + offset);
      tone.stop(now + offset + 0.17);
    }
  } catch {
    /* no audio device: the red stays */
  }
}
