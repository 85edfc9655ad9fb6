// Drive a Leg Check endpoint with virtual-alexa (Bespoken's Alexa emulator, written outside
// this project): it reads the interaction model, turns each utterance into the request Alexa
// would send, POSTs it to the skill's URL and keeps the session between turns.
//
// usage: node drive.js MODEL_FILE SKILL_URL STEPS_JSON
//   STEPS_JSON is a list of steps: {"utter": "..."}, {"intend": "Name", "slots": {...}},
//   {"launch": true} or {"end": true} (a SessionEndedRequest).
// Prints one JSON list: per step the request virtual-alexa sent (type, intent, slots), the
// speech, the reprompt, shouldEndSession and the session attributes, or the error.
"use strict";

const va = require("virtual-alexa");

function summarise(request) {
  if (!request) {
    return null;
  }
  const body = request.request || {};
  const out = { type: body.type, newSession: request.session ? request.session.new : null };
  if (body.intent) {
    out.intent = body.intent.name;
    out.slots = {};
    for (const [name, slot] of Object.entries(body.intent.slots || {})) {
      const authority = (((slot.resolutions || {}).resolutionsPerAuthority) || [])[0];
      out.slots[name] = {
        value: slot.value === undefined ? null : slot.value,
        status: authority ? authority.status.code : null,
        id: authority && authority.values && authority.values[0]
          ? authority.values[0].value.id : null,
      };
    }
  }
  return out;
}

async function main() {
  const [modelFile, skillUrl, stepsJson] = process.argv.slice(2);
  if (!modelFile || !skillUrl || !stepsJson) {
    throw new Error("usage: node drive.js MODEL_FILE SKILL_URL STEPS_JSON");
  }
  const alexa = va.VirtualAlexa.Builder()
    .interactionModelFile(modelFile)
    .skillURL(skillUrl)
    .locale("en-US")
    .create();
  let sent = null;
  alexa.filter((request) => {
    sent = JSON.parse(JSON.stringify(request));
  });
  const results = [];
  for (const step of JSON.parse(stepsJson)) {
    sent = null;
    try {
      let reply;
      if (step.utter !== undefined) {
        reply = await alexa.utter(step.utter);
      } else if (step.intend !== undefined) {
        reply = await alexa.intend(step.intend, step.slots || {});
      } else if (step.launch) {
        reply = await alexa.launch();
      } else if (step.end) {
        reply = await alexa.endSession();
      } else {
        throw new Error("unknown step " + JSON.stringify(step));
      }
      const response = (reply && reply.response) || {};
      const speech = response.outputSpeech || {};
      const reprompt = (response.reprompt || {}).outputSpeech || {};
      results.push({
        step,
        ok: true,
        request: summarise(sent),
        ssml: speech.ssml || speech.text || "",
        reprompt: reprompt.ssml || reprompt.text || "",
        shouldEndSession: response.shouldEndSession === undefined
          ? null : response.shouldEndSession,
        sessionAttributes: (reply && reply.sessionAttributes) || {},
        card: response.card || null,
      });
    } catch (error) {
      results.push({ step, ok: false, request: summarise(sent), error: String(error) });
    }
  }
  process.stdout.write(JSON.stringify(results, null, 2) + "\n");
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(1);
});
