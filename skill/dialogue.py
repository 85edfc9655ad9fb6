"""The dialogue policy: what the skill does next, given what the runner said.

Each function here takes one request's :class:`Turn` (or, when that is all it needs, the
locale's strings) and returns a :class:`Reply`: what to say, what to say again if the
runner says nothing, whether the session ends and whether the card is shown. It changes
the turn's :class:`~skill.state.DialogState` in place (the answers so far, the question
now pending, a consent or a deletion awaiting a yes, a follow-up's "is it still there?");
the handlers (:mod:`skill.handlers`) read the request into a turn, call one function here
and build the SDK's response from the reply.

It never sees ``HandlerInput``. A turn is plain data but for two parts: the runner's
:class:`~skill.memory.Memory`, through which the policy reads the stored check-ins (at
most once a turn) and, in the consent, forget and stop-remembering flows, writes or
deletes them; and, when the skill offers reminders, the request's
:class:`~skill.reminder_access.ReminderAccess`, through which it learns when a next-day
reminder would ring and sets it, with plain answers back. A store that fails never costs the
advice, and is never taken for one that holds nothing: the answers about what is kept say
that it could not be reached and what the runner can do (see ``docs/faults.md``).

The wording is asked of :mod:`skill.strings` and :mod:`skill.speech`, what the words said
is already read (a :class:`~skill.interpret.Heard`), and the decisions about causes,
levels and questions are the engine's (:func:`skill.triage.assess`).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from skill import history, speech, triage
from skill.errors import CorruptRecordError, StoreError
from skill.interpret import Heard
from skill.knowledge import load_knowledge
from skill.memory import Memory
from skill.speech import Spoken
from skill.state import DialogState, FollowUp, Outcome
from skill.store import Consent
from skill.strings import LocaleStrings

if TYPE_CHECKING:
    from skill.reminder_access import ReminderAccess
    from skill.reminders import ReminderOutcome, ReminderTime

log = logging.getLogger("legcheck.dialogue")


class Turn(NamedTuple):
    """One request, as the policy sees it."""

    state: DialogState
    """The check-in so far, changed in place by the policy."""
    strings: LocaleStrings
    """The request's locale's words."""
    memory: Memory
    """The runner's stored record: read at most once a turn, written by the consent flows."""
    now: datetime
    """When the request was made (its timestamp, timezone-aware)."""
    in_session: bool
    """Whether the request came in a session (a skill event does not)."""
    reminders: ReminderAccess | None = None
    """The request's way to Alexa's reminders; None when the skill offers none."""


class Reply(NamedTuple):
    """What the skill says in answer to one request."""

    spoken: Spoken
    reprompt: Spoken | None = None
    """Said when the runner says nothing; never said when the session ends."""
    end: bool = False
    """Whether the session ends with this reply."""
    card: bool = False
    """Whether the reply's card is shown in the Alexa app."""
    ask_permission: str | None = None
    """Ask the runner, by voice, for the reminders permission, with this token (Alexa asks;
    the reply says nothing of its own); its answer comes as a ``Connections.Response``."""
    permission_card: bool = False
    """Show the card that lets the runner grant the reminders permission in the Alexa app,
    instead of the reply's own card."""


def prompt(
    strings: LocaleStrings,
    key: str,
    reprompt_key: str | None = None,
    end: bool = False,
    **values: Any,
) -> Reply:
    """The prompt ``key``, with the prompt ``reprompt_key`` (or the same one) as the reprompt
    unless the session ends; ``values`` fill both."""
    text = Spoken((strings.prompt(key, **values),))
    reprompt = Spoken((strings.prompt(reprompt_key, **values),)) if reprompt_key else text
    return Reply(text, None if end else reprompt, end=end)


def _window_days() -> int:
    """How many days of check-ins are kept and summed up."""
    return load_knowledge().policy.history_window_days


# ---------------------------------------------------------------- a check-in


def take_turn(turn: Turn, heard: Heard, answer: bool | None = None) -> Reply:
    """One runner turn: record what it said, then say the next thing.

    A yes or no (from the words, or from AMAZON.YesIntent/NoIntent) answers the
    pending question; "not sure" leaves it unknown; a turn that yields nothing
    gets the pending question once more, then moves on; with no question
    pending, it starts the guided path of yes/no questions.
    """
    strings = turn.strings
    state = turn.state
    state.forget = False
    if state.follow_up is not None:
        return follow_up_turn(turn, heard, answer)
    if state.reminder is not None:
        offered = _reminder_turn(turn, heard, answer)
        if offered is not None:
            return offered
    if state.consent is not None:
        # the advice was given and "may I remember?" asked: a bare yes or no answers it,
        # nothing heard asks it again, anything else is a new check-in (nothing kept)
        yes_or_no = "yes" if answer is True else "no" if answer is False else heard.reply
        if heard.present or heard.absent:
            state.start_over()
        elif yes_or_no in ("yes", "no"):
            return consent_answer(turn, yes_or_no == "yes")
        elif heard.request == "stop":
            return consent_answer(turn, False)  # "never mind": not remembered
        else:
            return prompt(strings, "consent_reprompt", "consent_reprompt", days=_window_days())
    if heard.request is not None and answer is None:
        return _requested(turn, heard.request)
    pending = state.pending
    if answer is None:
        answer = heard.answer
    denied = _note_heard(state, heard)
    understood = answer is not None or heard.unsure or not heard.empty
    prefix: list[str] = []
    if denied:
        prefix.append(speech.noted_no_danger(strings, load_knowledge(), denied))
    if pending is not None:
        if answer is not None:
            state.answers[pending] = answer
        elif not understood:
            if state.repeats < 1:
                state.repeats += 1
                return _ask_again(strings, pending)
            prefix.append(strings.prompt("moving_on"))
        elif not heard.unsure and state.repeats < 1 and _is_safety_check(pending):
            # words about something else while a safety check waits: it is not dropped but
            # asked once more, after the engine has seen the words (a danger in them wins)
            state.repeats += 1
            state.pending = None
            if pending in state.asked:  # (a session's state may hold it without)
                state.asked.remove(pending)
            state.questions = max(0, state.questions - 1)  # the same question, not another
            if state.described:
                state.turns += 1
            return advance(turn, [*prefix, strings.prompt("safety_check_again")])
        state.pending = None
        state.repeats = 0
    elif not understood or (not state.described and heard.reply is not None):
        # the open question yielded nothing: no dead end, the guided path starts
        state.tries += 1
        if not understood:
            prefix.append(strings.prompt("not_caught"))
    if state.described:
        state.turns += 1
    return advance(turn, prefix)


def _note_heard(state: DialogState, heard: Heard) -> list[str]:
    """Add what was heard to the answers; the danger signs newly heard as denied."""
    knowledge = load_knowledge()
    denied: list[str] = []
    for feature in heard.present:
        state.answers[feature] = True
    order = list(knowledge.features)
    for feature in sorted(heard.absent, key=order.index):
        danger = knowledge.features[feature].category == "danger"
        if danger and state.answers.get(feature):
            continue  # a danger sign once heard stays heard
        state.answers[feature] = False
        if danger and feature not in state.noted:
            state.noted.append(feature)
            denied.append(feature)
    return denied


def _requested(turn: Turn, request: str) -> Reply:
    """A request instead of an answer: stop the check-in ("never mind"), say the question
    again ("pardon?"), or say what Leg Check does when asked for something it cannot serve
    ("how far did I run?"), without starting the questionnaire."""
    state = turn.state
    if state.follow_up is not None:
        return _follow_up_request(turn, state.follow_up, request)
    if state.reminder is not None and request not in ("stop", "repeat"):
        return _reminder_again(turn, "out_of_scope_during_question")
    if request == "stop":
        return stop(turn)
    if request == "repeat":
        if state.pending is not None:
            ask, reprompt = speech.question(turn.strings, state.pending)
            return Reply(ask, reprompt)
        if state.last_speech:
            return Reply(
                Spoken(state.last_speech), Spoken(state.last_reprompt or state.last_speech)
            )
        return prompt(turn.strings, "repeat_nothing", "launch_reprompt")
    if state.pending is not None:
        if state.repeats >= 1:
            return take_turn(turn, Heard())  # asked once more already: move on
        state.repeats += 1
    return _unless_pending(turn, "out_of_scope_during_question", "out_of_scope", "launch_reprompt")


def _is_safety_check(feature: str) -> bool:
    """Whether the question about ``feature`` is a danger sign's safety check."""
    return any(d.screen_question == feature for d in load_knowledge().danger_signs)


def _ask_again(strings: LocaleStrings, pending: str) -> Reply:
    """The pending question once more, for a turn that did not answer it."""
    question = strings.question(pending)
    return prompt(strings, "fallback_during_question", "question_reprompt", question=question)


def _unless_pending(turn: Turn, during_key: str, key: str, reprompt_key: str) -> Reply:
    """Say ``during_key`` with the pending question again, or ``key`` when none is pending."""
    pending = turn.state.pending
    if pending:
        question = turn.strings.question(pending)
        return prompt(turn.strings, during_key, "question_reprompt", question=question)
    return prompt(turn.strings, key, reprompt_key)


def advance(turn: Turn, prefix: list[str] | None = None) -> Reply:
    """Ask the engine what it makes of the answers so far, and say the next thing."""
    strings = turn.strings
    knowledge = load_knowledge()
    state = turn.state
    policy = knowledge.policy
    now = turn.now
    stored = list(turn.memory.history())
    left = (
        min(policy.max_turns - state.turns, policy.max_questions - state.questions)
        if state.described
        else len(policy.guided_questions)
    )
    result = triage.assess(
        state.answers,
        state.asked,
        history.prior_checkins(stored, now.date()),
        knowledge,
        questions_left=left,
        guided=state.tries > 0,
    )
    lead = [p for p in (prefix or []) if p]

    if result.is_danger:
        # the advice ends the session at once: no question, not even about remembering
        state.pending = None
        log.info("danger signs %s", ",".join(result.danger_signs))
        spoken = speech.outcome(strings, knowledge, result)
        _save_checkin(turn.memory, result)
        return Reply(spoken, end=True, card=True)

    if result.needs_description:
        state.pending = None
        return Reply(
            Spoken((*lead, strings.prompt("describe"))),
            Spoken((strings.prompt("launch_reprompt"),)),
        )

    if result.next_question is not None:
        question = result.next_question
        if result.guided and not state.guided:
            state.guided = True
            lead.append(strings.prompt("guided_intro"))
        state.pending = question
        state.asked.append(question)
        if state.described:
            state.questions += 1
        ask, reprompt = speech.question(strings, question)
        return Reply(Spoken((*lead, *ask.parts)), reprompt)

    state.pending = None
    came_back = (
        None  # the same complaint, still there: not one that came back
        if state.continued
        else history.recurrence(
            stored, result.present, knowledge, now.date(), policy.history_window_days
        )
    )
    recurred = speech.recurrence(strings, knowledge, came_back) if came_back else ""
    spoken = speech.outcome(strings, knowledge, result, recurred)
    if lead:
        spoken = spoken.led_by(lead)
    if _should_ask_consent(turn):
        return _advise_and_ask_consent(turn, spoken, result)
    _save_checkin(turn.memory, result)
    if _reminder_due(turn, result.level):
        return _offer_reminder(turn, spoken, card=True)
    return Reply(spoken, end=True, card=True)


def stop(turn: Turn) -> Reply:
    """End politely: a check-in under way is dropped (nothing kept) and the runner hears how
    to get help; with none under way, the plain goodbye."""
    state = turn.state
    under_way = (
        state.consent is None
        and state.reminder is None
        and (state.pending is not None or state.described)
    )
    state.start_over()
    return prompt(turn.strings, "check_in_stopped" if under_way else "goodbye", end=True)


# ---------------------------------------------------------------- remembering check-ins


def _outcome_of(result: triage.TriageResult) -> Outcome:
    """What is kept of a check-in: its features, the cause the advice named (or the danger
    sign), and the triage level; nothing else."""
    cause = history.cause_to_keep(
        load_knowledge(), result.contenders, result.danger_signs, result.complaints
    )
    return Outcome(tuple(sorted(result.present)), cause, result.level)


def _save_checkin(memory: Memory, result: triage.TriageResult) -> None:
    """Keep this check-in, if the runner agreed to be remembered, in one atomic write; a
    failure is logged (with the request id) and the advice is still said."""
    if memory.known and memory.consent() is Consent.YES:
        kept = _outcome_of(result)
        memory.remember(kept.features, kept.cause, kept.level)


def _should_ask_consent(turn: Turn) -> bool:
    """Ask "may I remember?" only where check-ins can be kept, the runner's record was
    read, they have not answered yet (or their answer has expired), and the store can be
    written now: never a question whose yes could not be kept."""
    memory = turn.memory
    return (
        turn.in_session
        and memory.known
        and memory.consent() is Consent.UNKNOWN
        and memory.can_write()
    )


def _advise_and_ask_consent(turn: Turn, advice: Spoken, result: triage.TriageResult) -> Reply:
    """The advice (on the card too), then once: may I remember your check-ins?"""
    strings = turn.strings
    days = _window_days()
    turn.state.consent = _outcome_of(result)
    ask = Spoken(
        (*advice.parts, strings.prompt("consent_ask", days=days)),
        advice.card_title,
        advice.card_lines,
        advice.screen,
    )
    reprompt = Spoken((strings.prompt("consent_reprompt", days=days),))
    return Reply(ask, reprompt, card=True)


def consent_answer(turn: Turn, agreed: bool) -> Reply:
    """The answer to "may I remember?": yes keeps this check-in and the consent in one
    write; no keeps only the refusal. A write that fails is logged and said."""
    memory = turn.memory
    state = turn.state
    kept, state.consent = state.consent, None
    days = _window_days()
    if agreed and kept is not None:
        if memory.remember(kept.features, kept.cause, kept.level, Consent.YES):
            return _then_offer_reminder(turn, kept, "consent_yes", days=days)
        return prompt(turn.strings, _not_saved(memory, "consent_not_saved"), end=True)
    if memory.set_consent(Consent.NO):
        return _then_offer_reminder(turn, kept, "consent_no")
    # it may be asked again
    return prompt(turn.strings, _not_saved(memory, "consent_no_not_saved"), end=True)


def _not_saved(memory: Memory, key: str) -> str:
    """What to say of a write that failed: ``key``, or, when the runner's record cannot be
    read (so trying again will not help), that it can be deleted."""
    if isinstance(memory.write_problem, CorruptRecordError):
        return "record_unreadable_not_saved"
    return key


def _drop_consent_question(state: DialogState) -> None:
    """A privacy request while "may I remember?" or "is it still there?" waits: the question
    is dropped unanswered."""
    state.consent = None
    state.follow_up = None
    state.reminder = None


def forget(turn: Turn, confirmed: bool) -> Reply:
    """The answer to "delete all your stored check-ins?": yes deletes them, no keeps them."""
    turn.state.forget = False
    if not confirmed:
        return prompt(turn.strings, "forget_kept", end=True)
    try:
        turn.memory.forget()
    except StoreError:  # logged: never say it is gone when it may not be
        return prompt(turn.strings, "forget_failed", end=True)
    return prompt(turn.strings, "forget_done", end=True)


def forget_me(turn: Turn) -> Reply:
    """ "Delete my check-ins": asks to confirm (the next yes or no is :func:`forget`'s),
    unless the store cannot be reached or written now."""
    _drop_consent_question(turn.state)
    memory = turn.memory
    count = len(memory.history())
    if memory.unreachable:
        return prompt(turn.strings, "forget_unreachable", end=True)
    if count == 0 and not memory.unreadable:
        return prompt(turn.strings, "forget_nothing", end=True)
    if not memory.can_write():  # never a question whose yes could not be kept
        return prompt(turn.strings, "forget_unreachable", end=True)
    turn.state.forget = True
    if memory.unreadable:
        # a record that cannot be read is still deleted when asked
        return prompt(turn.strings, "forget_confirm_reprompt", "forget_confirm_reprompt")
    return prompt(turn.strings, "forget_confirm", "forget_confirm_reprompt", count=count)


def privacy(turn: Turn) -> Reply:
    """ "What do you keep about me?": whether check-ins are kept, and how many are."""
    _drop_consent_question(turn.state)
    memory = turn.memory
    if not memory.available:
        return prompt(turn.strings, "privacy_unavailable", "help_reprompt")
    count = len(memory.history())
    days = _window_days()
    if memory.unreachable:
        return prompt(turn.strings, "privacy_unreachable", "help_reprompt", days=days)
    if memory.unreadable:
        return prompt(turn.strings, "privacy_unreadable", "help_reprompt", days=days)
    if memory.consent() is Consent.NO:
        return prompt(turn.strings, "privacy_refused", "help_reprompt", days=days)
    if count == 0:
        return prompt(turn.strings, "privacy_nothing", "help_reprompt", days=days)
    return prompt(
        turn.strings,
        "privacy",
        "help_reprompt",
        days=days,
        count=turn.strings.count_checkins(count),
    )


def stop_remembering(turn: Turn) -> Reply:
    """ "Stop remembering": delete the check-ins and keep the refusal, at any time."""
    _drop_consent_question(turn.state)
    memory = turn.memory
    if not memory.available:
        return prompt(turn.strings, "privacy_unavailable", end=True)
    if memory.unreachable:  # nothing is known, so nothing is tried
        return prompt(turn.strings, "stop_remembering_unreachable", end=True)
    try:
        had = memory.stop_remembering()
    except StoreError:  # logged: never "done"
        return prompt(turn.strings, "stop_remembering_failed", end=True)
    return prompt(
        turn.strings, "stop_remembering_done" if had else "stop_remembering_none", end=True
    )


def start_remembering(turn: Turn) -> Reply:
    """ "Start remembering": the runner opts in, at any time (after a no, or before being
    asked). While "may I remember?" waits it is that question's yes; in the middle of a
    check-in the question that was waiting is asked again."""
    state = turn.state
    strings = turn.strings
    if state.consent is not None:
        return consent_answer(turn, True)
    memory = turn.memory
    if not memory.available:
        return prompt(strings, "privacy_unavailable", end=True)
    if memory.known and memory.consent() is Consent.YES:
        key = "start_remembering_already"
    elif memory.set_consent(Consent.YES):  # a failure is logged
        key = "start_remembering_done"
    else:
        key = _not_saved(memory, "consent_not_saved")  # and a check-in under way goes on
    days = _window_days()
    if state.pending is None:
        return prompt(strings, key, end=True, days=days)
    ask, reprompt = speech.question(strings, state.pending)
    return Reply(ask.led_by([strings.prompt(key, days=days)]), reprompt)


def history_summary(turn: Turn) -> Reply:
    """ "How have my legs been": a short summary of the recent check-ins."""
    _drop_consent_question(turn.state)
    memory = turn.memory
    if not memory.available:
        return prompt(turn.strings, "privacy_unavailable", end=True)
    days = _window_days()
    if memory.unreachable:
        return prompt(turn.strings, "history_unreachable", end=True)
    if memory.unreadable:
        return prompt(turn.strings, "history_unreadable", end=True)
    if memory.consent() is Consent.NO:
        return prompt(turn.strings, "history_refused", end=True)
    knowledge = load_knowledge()
    summary = history.summarize(list(memory.history()), knowledge, memory.today, days)
    spoken = speech.history_summary(turn.strings, knowledge, summary, memory.today, days)
    return Reply(spoken, end=True, card=summary.last is not None)


# ---------------------------------------------------------------- the follow-up

LASTED = "lasts_days"
"""The feature "it has lasted a day or more": what "still there" adds to a complaint told of
on an earlier day, so the engine applies the article's rule for tingling that lingers."""
EASED = "fades_after_cooldown"
"""The feature "it eased once you cooled down": heard, it says the complaint has gone ("it's
gone", "it cleared up"); denied, that it is still there ("it's still there")."""
NEW_SYMPTOMS = frozenset({"sensation", "danger", "body", "complaint"})
"""The feature categories that make words in answer to "is it still there?" something new
(a place alone, "my legs are fine now", is not)."""


def follow_up_or_launch(turn: Turn) -> Reply:
    """ "Open Leg Check": a runner who agreed to be remembered, and told of a complaint in
    the last few days, is asked first whether it is still there (:func:`follow_up_due`);
    anyone else hears the open question. No reminder is needed for it."""
    due = follow_up_due(turn)
    if due is None:
        return launch(turn.strings)
    turn.state.follow_up = due
    ask, reprompt = _follow_up_question(turn.strings, due)
    return Reply(ask, reprompt)


def follow_up_due(turn: Turn) -> FollowUp | None:
    """The runner's open complaint (:func:`skill.history.open_complaint`), when they agreed
    to be remembered and their record was read: their latest check-in, from today back to a
    few days ago, not found gone since and not an emergency."""
    memory = turn.memory
    if not (turn.in_session and memory.known and memory.consent() is Consent.YES):
        return None
    knowledge = load_knowledge()
    found = history.open_complaint(memory.history(), knowledge, memory.today)
    if found is None:
        return None
    # read as the next request will read it back from the session
    return FollowUp.read({**found.checkin.to_dict(), "days": found.days_ago}, knowledge)


def _follow_up_question(strings: LocaleStrings, follow_up: FollowUp) -> tuple[Spoken, Spoken]:
    knowledge = load_knowledge()
    symptom = history.symptom_of(knowledge, follow_up.checkin.features)
    return speech.follow_up(strings, knowledge, symptom, follow_up.days_ago)


def follow_up_answer(turn: Turn, still_there: bool) -> Reply:
    """A bare yes or no to "is it still there?" (see :func:`follow_up_turn`)."""
    return follow_up_turn(turn, Heard(reply="yes" if still_there else "no"), still_there)


def follow_up_turn(turn: Turn, heard: Heard, answer: bool | None = None) -> Reply:
    """The runner's words in answer to "is it still there?".

    A danger sign wins over everything: a check-in with those words, so the engine calls
    for help. Still there (yes, "it's still there", "it's worse") applies the article
    through the engine (:func:`_still_there`); gone (no, "it's gone", "it cleared up") is
    kept and welcomed (:func:`_gone`); a new symptom starts a check-in with those words
    (after a "gone", that is kept first). Not sure starts a check-in; words that say
    neither (or both) get the question once more, then the open question.
    """
    state = turn.state
    follow_up = state.follow_up
    if follow_up is None:  # (the handlers ask only while it waits)
        return take_turn(turn, heard, answer)
    if heard.request is not None and answer is None:
        return _follow_up_request(turn, follow_up, heard.request)
    knowledge = load_knowledge()
    earlier = set(follow_up.checkin.features)
    said = triage.present_features(knowledge, dict.fromkeys(heard.present, True))
    if triage.danger_signs_of(knowledge, said):
        return _new_check_in(turn, heard)
    felt_before = {f for f in earlier if knowledge.features[f].category == "sensation"}
    still = answer is True or heard.reply == "yes" or EASED in heard.absent
    still = still or LASTED in heard.present
    gone = answer is False or heard.reply == "no" or EASED in heard.present
    gone = gone or bool(felt_before & heard.absent)  # "it doesn't tingle any more"
    new = any(
        f not in earlier and knowledge.features[f].category in NEW_SYMPTOMS for f in heard.present
    )
    if still and not gone:
        return _still_there(turn, follow_up, heard)
    if gone and not still:
        kept = _gone(turn, follow_up)
        if not new:
            return prompt(
                turn.strings, "follow_up_gone" if kept else "follow_up_gone_not_saved", end=True
            )
        # gone, and something new: a check-in about the new words only
        beyond = Heard(
            heard.present - felt_before - {EASED}, heard.absent - felt_before, None, None
        )
        reply = _new_check_in(turn, beyond)
        return reply._replace(
            spoken=reply.spoken.led_by([turn.strings.prompt("follow_up_gone_lead")])
        )
    if new:
        return _new_check_in(turn, heard)
    if heard.unsure:
        _leave_follow_up(state)
        return prompt(turn.strings, "describe", "launch_reprompt")
    if state.repeats < 1:
        state.repeats += 1
        return _follow_up_again(turn, follow_up, "fallback_during_question")
    _leave_follow_up(state)
    return Reply(
        Spoken((turn.strings.prompt("moving_on"), turn.strings.prompt("describe"))),
        Spoken((turn.strings.prompt("launch_reprompt"),)),
    )


def _leave_follow_up(state: DialogState) -> None:
    """The follow-up question is dropped unanswered: the open question comes next."""
    state.follow_up = None
    state.repeats = 0


def _new_check_in(turn: Turn, heard: Heard) -> Reply:
    """Something new in answer to "is it still there?": a check-in with those words (its
    reply, if any, is not an answer to a question of the check-in)."""
    _leave_follow_up(turn.state)
    words = Heard(heard.present, heard.absent, None, None, heard.unsure, heard.word_count)
    return take_turn(turn, words)


def _follow_up_again(turn: Turn, follow_up: FollowUp, key: str) -> Reply:
    """The follow-up question once more, after the prompt ``key`` (which says it)."""
    ask, reprompt = _follow_up_question(turn.strings, follow_up)
    return Reply(Spoken((turn.strings.prompt(key, question=ask.text),)), reprompt)


def _follow_up_request(turn: Turn, follow_up: FollowUp, request: str) -> Reply:
    """A request while "is it still there?" waits, as during any yes/no question: stop ends
    (nothing kept), repeat asks it again, a request Leg Check cannot serve is answered with
    the question once, then the open question."""
    state = turn.state
    if request == "stop":
        return stop(turn)
    if request == "repeat":
        ask, reprompt = _follow_up_question(turn.strings, follow_up)
        return Reply(ask, reprompt)
    if state.repeats < 1:
        state.repeats += 1
        return _follow_up_again(turn, follow_up, "out_of_scope_during_question")
    _leave_follow_up(state)
    return prompt(turn.strings, "out_of_scope", "launch_reprompt")


def follow_up_help(turn: Turn) -> Reply:
    """Help while "is it still there?" waits: what the question is for, and it again."""
    follow_up = turn.state.follow_up
    if follow_up is None:  # (the handlers ask only while it waits)
        return give_help(turn)
    return _follow_up_again(turn, follow_up, "follow_up_help")


def _still_there(turn: Turn, follow_up: FollowUp, heard: Heard) -> Reply:
    """Still there: the earlier complaint, now not eased and, told of on an earlier day,
    lasting a day or more, with anything more the runner said, assessed by the engine as
    a check-in of its own (and kept as one); the earlier check-in is the same complaint,
    not one that came back."""
    state = turn.state
    knowledge = load_knowledge()
    _leave_follow_up(state)
    lasted = follow_up.days_ago >= 1  # the same day, it has not lasted a day: not said
    contradicts = set(knowledge.features[LASTED].excludes) | {EASED}
    for feature in follow_up.checkin.features:
        if feature not in contradicts:
            state.answers[feature] = True
    state.answers[EASED] = False
    if lasted:
        state.answers[LASTED] = True
    denied = _note_heard(state, heard)
    state.continued = True
    state.turns = 1
    # the runner answered the engine's questions about it at the check-in: a safety check
    # is asked again (whatever the budget), and, the same day, two more at most (a safety
    # check counts), so that whether it has lasted a day or more can be asked, not assumed
    state.questions = knowledge.policy.max_questions - (0 if lasted else 2)
    prefix = [speech.noted_no_danger(turn.strings, knowledge, denied)] if denied else []
    return advance(turn, prefix)


def _gone(turn: Turn, follow_up: FollowUp) -> bool:
    """Gone: kept as a check-in of its own, the complaint's features and cause at the level
    :data:`~skill.history.RESOLVED`, so it is not asked about again and never counts as the
    symptom coming back; whether it was kept (a failure is logged)."""
    _leave_follow_up(turn.state)
    memory = turn.memory
    if not (memory.known and memory.consent() is Consent.YES):
        return False
    kept = follow_up.checkin
    return memory.remember(kept.features, kept.cause, history.RESOLVED)


# ---------------------------------------------------------------- the reminder offer

REMINDER_BELOW = "urgent_care"
"""A reminder is offered only after advice below this triage level: never on top of an
emergency or a same-day referral (the knowledge file's ``triage_levels``)."""
REMINDER_QUIET_DAYS = 7
"""After a no, the reminder is not offered again for this many days: kept in the record of a
runner who agreed to be remembered; for anyone else only for the session."""


def _reminder_due(turn: Turn, level: str) -> bool:
    """Whether to offer a next-day reminder after advice at ``level``: the skill offers them
    and this request could set one, in a session, not after an emergency or a same-day
    referral, not twice in a session, not after the follow-up it would bring the runner
    back for, and not within a week of the runner's no."""
    access = turn.reminders
    state = turn.state
    if access is None or not turn.in_session or state.reminder_offered or state.continued:
        return False
    knowledge = load_knowledge()
    if level not in knowledge.levels:
        return False
    if knowledge.level_rank(level) >= knowledge.level_rank(REMINDER_BELOW):
        return False
    memory = turn.memory
    if memory.known and memory.consent() is Consent.YES:
        declined = memory.reminder_declined()
        if declined is not None and (memory.today - declined).days < REMINDER_QUIET_DAYS:
            return False
    return access.usable


def reminder_when(strings: LocaleStrings, when: ReminderTime) -> str:
    """When the reminder rings, in the locale's words: "tomorrow at 7 PM", or "this time
    tomorrow" when the device's time zone is unknown."""
    clock = when.clock
    if clock is None:
        return strings.prompt("reminder_when_relative")
    return strings.prompt("reminder_when_clock", time=clock.words(strings.clock))


def reminder_words(strings: LocaleStrings) -> tuple[str, str]:
    """What the reminder itself says, as text and SSML: no symptom in it, since others may
    hear it."""
    text = strings.prompt("reminder_text")
    return text, Spoken((text,)).ssml_for(strings.aliases)


def _offer_reminder(turn: Turn, lead: Spoken, card: bool = False) -> Reply:
    """``lead`` (the advice, or the answer to "may I remember?"), then once: would you like a
    reminder tomorrow at the time it will ring? (asks the device's time zone)."""
    access = turn.reminders
    assert access is not None  # (only when _reminder_due)
    state = turn.state
    strings = turn.strings
    state.reminder = access.plan()
    state.reminder_offered = True
    when = reminder_when(strings, state.reminder)
    ask = Spoken(
        (*lead.parts, strings.prompt("reminder_offer", when=when)),
        lead.card_title,
        lead.card_lines,
        lead.screen,
    )
    reprompt = Spoken((strings.prompt("reminder_offer_reprompt", when=when),))
    return Reply(ask, reprompt, card=card)


def _then_offer_reminder(turn: Turn, kept: Outcome | None, key: str, **values: Any) -> Reply:
    """The answer to "may I remember?" (the prompt ``key``), then the reminder offer when
    one is due after that check-in's advice (``key`` + ``_then``, without its goodbye)."""
    if kept is None or not _reminder_due(turn, kept.level):
        return prompt(turn.strings, key, end=True, **values)
    return _offer_reminder(turn, Spoken((turn.strings.prompt(f"{key}_then", **values),)))


def _reminder_turn(turn: Turn, heard: Heard, answer: bool | None) -> Reply | None:
    """Words while "would you like a reminder?" waits: a yes or a no answers it, "never
    mind" lets it go, nothing heard asks it again; a new symptom drops it (None: the
    check-in that starts over hears those words)."""
    yes_or_no = "yes" if answer is True else "no" if answer is False else heard.reply
    if heard.present or heard.absent:
        turn.state.start_over()  # the offer is dropped, and not made again this session
        return None
    if yes_or_no in ("yes", "no"):
        return reminder_answer(turn, yes_or_no == "yes")
    if heard.request == "stop":
        return stop(turn)
    return _reminder_again(turn, "fallback_during_question")


def _reminder_again(turn: Turn, key: str) -> Reply:
    """The offer once more, after the prompt ``key`` (which says it)."""
    when = turn.state.reminder
    if when is None:  # (only while it waits)
        return launch(turn.strings)
    said = reminder_when(turn.strings, when)
    question = turn.strings.prompt("reminder_offer", when=said)
    return Reply(
        Spoken((turn.strings.prompt(key, question=question),)),
        Spoken((turn.strings.prompt("reminder_offer_reprompt", when=said),)),
    )


def reminder_help(turn: Turn) -> Reply:
    """Help while "would you like a reminder?" waits: what it would do, and the question."""
    when = turn.state.reminder
    if when is None:  # (the handlers ask only while it waits)
        return give_help(turn)
    said = reminder_when(turn.strings, when)
    return prompt(turn.strings, "reminder_help", "reminder_offer_reprompt", when=said)


def reminder_answer(turn: Turn, agreed: bool) -> Reply:
    """The answer to "would you like a reminder?": no is kept (a week, for a runner who
    agreed to be remembered); yes sets it where the runner has granted the permission, and
    otherwise asks for it by voice, the planned time and the locale in the token."""
    state = turn.state
    strings = turn.strings
    when, state.reminder = state.reminder, None
    if not agreed:
        _remember_no(turn)
        return prompt(strings, "reminder_no", end=True)
    access = turn.reminders
    if when is None or access is None:  # (only while it waits, with reminders on)
        return unhandled(strings)
    if not access.granted:
        from skill.reminder_access import consent_token

        return Reply(Spoken(()), ask_permission=consent_token(when, access.locale))
    return reminder_said(strings, access.create(when, *reminder_words(strings)))


def permission_answer(turn: Turn, answer: str, when: ReminderTime | None) -> Reply:
    """The runner's answer to Alexa's "may Leg Check set reminders?" (``ACCEPTED``,
    ``DENIED``, ``NOT_ANSWERED``), with the plan the voice-consent token carried (None: planned
    now). Accepted sets the reminder and says when it rings; otherwise one sentence, and the
    card that lets the runner grant the permission in the Alexa app later."""
    strings = turn.strings
    if answer == "ACCEPTED":
        access = turn.reminders
        if access is None or not access.usable:
            from skill.reminders import ReminderFailed, ReminderFailure

            return reminder_said(strings, ReminderFailed(ReminderFailure.SERVICE_DOWN))
        planned = when or access.plan()
        return reminder_said(strings, access.create(planned, *reminder_words(strings)))
    if answer == "DENIED":
        _remember_no(turn)
        key = "reminder_permission_denied"
    else:
        key = "reminder_permission_not_answered"
    return Reply(Spoken((strings.prompt(key),)), end=True, permission_card=True)


def reminder_said(strings: LocaleStrings, outcome: ReminderOutcome) -> Reply:
    """What the runner hears of a reminder set or not: the time it rings and how to cancel
    it, or one sentence for the way it failed (the advice was said already, and nothing
    stored is lost); a missing permission also gets the card to grant it."""
    from skill.reminders import ReminderCreated, ReminderFailure

    if isinstance(outcome, ReminderCreated):
        return prompt(strings, "reminder_set", end=True, when=reminder_when(strings, outcome.when))
    said = Spoken((strings.prompt(f"reminder_failed_{outcome.kind.value}"),))
    return Reply(said, end=True, permission_card=outcome.kind is ReminderFailure.PERMISSION)


def _remember_no(turn: Turn) -> None:
    """A no to the reminder, kept for a week in the record of a runner who agreed to be
    remembered (a failure is logged); for anyone else the session ends with it."""
    memory = turn.memory
    if memory.known and memory.consent() is Consent.YES:
        memory.decline_reminder()


# ---------------------------------------------------------------- the other intents


def launch(strings: LocaleStrings) -> Reply:
    """The open question that starts a check-in."""
    return prompt(strings, "launch", "launch_reprompt")


def reply(turn: Turn, said_yes: bool) -> Reply:
    """A bare yes or no to the pending question (with none pending, the guided path starts).
    A yes or no to "delete all your stored check-ins?" or "may I remember?" goes to
    :func:`forget` or :func:`consent_answer`: the handlers choose by the question waiting."""
    return take_turn(turn, Heard(reply="yes" if said_yes else "no"), answer=said_yes)


def consent_help(turn: Turn) -> Reply:
    """Help while "may I remember?" waits: what would be kept, and the question again."""
    return prompt(turn.strings, "consent_help", "consent_reprompt", days=_window_days())


def give_help(turn: Turn) -> Reply:
    """Help: with a question pending, that question again; else what Leg Check does."""
    return _unless_pending(turn, "help_during_question", "help", "help_reprompt")


def fallback(turn: Turn) -> Reply:
    """Words the model could not place: the question once more; at the open question, what
    Leg Check does, then the guided path."""
    state = turn.state
    if (
        state.pending is None
        and state.consent is None
        and state.follow_up is None
        and state.reminder is None
        and not state.forget
        and not state.described
        and state.tries == 0
    ):
        # the open question met words the model could not place (often a request Leg
        # Check cannot serve): say what it does; a second time, the guided path starts
        state.tries += 1
        return prompt(turn.strings, "out_of_scope", "launch_reprompt")
    return take_turn(turn, Heard())


def repeat(turn: Turn) -> Reply:
    """The waiting question again; with none waiting, what the skill itself last said."""
    return _requested(turn, "repeat")


def out_of_scope(turn: Turn) -> Reply:
    """A request Leg Check cannot serve ("how far did I run?", "play some music"): what it
    does, and the question that was waiting, if any; the questionnaire is not started."""
    return _requested(turn, "out_of_scope")


def start_over(turn: Turn) -> Reply:
    """A fresh check-in: everything heard so far is dropped."""
    turn.state.start_over()
    return prompt(turn.strings, "start_over", "launch_reprompt")


def unhandled(strings: LocaleStrings) -> Reply:
    """A request or intent Leg Check does not take: what it does instead."""
    return prompt(strings, "fallback", "launch_reprompt")


def apology(strings: LocaleStrings) -> Reply:
    """An error inside the skill: an apology, the session kept open."""
    return prompt(strings, "error", "error_reprompt")
