"""The contact centre in motion: issues arrive, contacts pass bot/IVR, queues and teams, journeys repeat.

Everything moves a batch at a time (numpy arrays over contacts); Python loops only over rounds (the n-th
contact of journeys) and hops (the n-th queue of contacts), both a handful. A contact is one call, chat, email
thread or back-office work item; a journey is one customer's contacts about one issue.
"""

from __future__ import annotations

import functools
from collections import defaultdict

import numpy as np

from .batch import BO_ITEM, CHASER, NORMAL, Batch, Friction, pick, pick_rows
from .breakdowns import (
    AbandonmentHotSpot,
    BackOfficeBlackHole,
    ContextLoss,
    FalseContainment,
    HealthyVolume,
    RareAwfulJourney,
    RepeatedVerification,
    SurveyDrop,
    VendorPressure,
)
from .change import Hop, Planted
from .events import (
    ACD_ACTOR,
    BOT_ACTOR,
    IVR_ACTOR,
    O_ABANDONED,
    O_CLOSED,
    O_CONTAINED,
    O_ESCALATED,
    O_RESOLVED,
    O_TRANSFERRED,
    O_UNRESOLVED,
    SURVEY_ACTOR,
    T_AGENT,
    T_BACK_OFFICE,
    T_BOT,
    T_CUSTOMER,
    T_IVR,
    T_SYSTEM,
    A,
    EventBuffer,
)
from .model import BACK_OFFICE, CHANNELS, CHAT, EMAIL, PHONE, Model
from .opening import is_closed, next_open
from .routes import ESCALATE, FINAL, MAX_HOPS, TRANSFER, plan_routes
from .survey import survey_scores, verbatim_index
from .waits import DAY, HOUR, Waits


class Generator:
    """One pass of the simulation. ``waits`` in pilot mode makes every queue instant and records the load.

    ``closed_hours`` (None: open around the clock) closes the centre: no call or chat starts then (the
    customer tries again in the hour after opening) and no agent or back-office step starts then (it waits
    for opening). It is only set by the night-call artefact, so the scenarios' own logs do not change.
    """

    def __init__(
        self, model: Model, *, days: int, seed: int, waits: Waits, closed_hours: tuple[int, int] | None = None
    ) -> None:
        self.m = model
        self.b = model.scenario.behaviour
        self.days = days
        self.horizon = days * DAY
        self.rng = np.random.default_rng(np.random.SeedSequence([seed, 20240304]))
        # The verbatims' phrasing draws from a stream of its own: the centre's draws stay as they were.
        self.voice = np.random.default_rng(np.random.SeedSequence([seed, 20240304, 16]))
        self.waits = waits
        self.events = EventBuffer()
        self.contacts: dict[str, list[np.ndarray]] = defaultdict(list)  # customer, channel, reason, journey
        self.n_contacts = 0
        self.n_journeys = 0
        self.touched: dict[str, list[np.ndarray]] = defaultdict(list)
        # Per response: event, score, verbatim (index into ``survey.verbatims``).
        self.surveys: dict[str, list[np.ndarray]] = defaultdict(list)
        self.drops: dict[str, list[np.ndarray]] = defaultdict(list)  # survey_drop name -> [base, score] parts
        self.closed = closed_hours
        # Planted changes (``change.py``), only when the scenario asks: without them nothing below draws more.
        self.plan = Planted(model, seed=seed) if model.scenario.changes else None

    # --- arrivals ---------------------------------------------------------------------------------------
    def issues(self, *, customers: int, start_weekday: int) -> Batch:
        """New issues: Poisson per day around a weekday profile times a gamma day factor; hour by channel."""
        m, rng, s = self.m, self.rng, self.m.scenario
        per_day = customers * s.issues_per_customer_per_year / 365.0
        weekday = (start_weekday + np.arange(self.days)) % 7
        factor = rng.gamma(s.overdispersion, 1.0 / s.overdispersion, self.days)
        mean = per_day * m.weekday[weekday] * factor
        if self.plan is not None:
            mean = mean * self.plan.volume(self.days)
        counts = rng.poisson(mean)
        day = np.repeat(np.arange(self.days), counts)
        n = day.size
        reason = pick(rng, np.cumsum(m.reason_share), n)
        channel = pick_rows(rng, np.cumsum(m.reason_channel, axis=1)[reason])
        hour = pick_rows(rng, m.hour_cdf[channel])
        t = day * DAY + hour * HOUR + rng.random(n) * HOUR
        customer = rng.integers(0, customers, n)
        order = np.argsort(t, kind="stable")
        self.n_journeys = n
        return Batch(
            journey=np.arange(n, dtype=np.int64),
            customer=customer[order],
            reason=reason[order],
            channel=channel[order],
            t=t[order],
            kind=np.full(n, NORMAL, dtype=np.int64),
            seq=np.zeros(n, dtype=np.int64),
            case_queue=np.full(n, -1, dtype=np.int64),
        )

    def run(self, first: Batch) -> None:
        """Rounds: pending contacts start; what they lead to (repeats, cases, chasers) is the next round."""
        pending = first
        for _ in range(self.b.max_rounds):
            pending = pending.take(pending.t < self.horizon)
            if not len(pending):
                break
            bo = pending.kind == BO_ITEM
            pending = Batch.concat([self.front(pending.take(~bo)), self.back_office(pending.take(bo))])

    # --- helpers -----------------------------------------------------------------------------------------
    def _new_contacts(self, batch: Batch) -> np.ndarray:
        cid = np.arange(self.n_contacts, self.n_contacts + len(batch), dtype=np.int64)
        self.n_contacts += len(batch)
        for name in ("customer", "channel", "reason", "journey"):
            self.contacts[name].append(getattr(batch, name))
        return cid

    def _open(self, t: np.ndarray) -> np.ndarray:
        """``t``, moved to the next opening where it falls in the closed hours."""
        return t if self.closed is None else next_open(t, self.closed)

    def _defer_realtime(self, t: np.ndarray, ch: np.ndarray) -> np.ndarray:
        """Calls and chats that would start while closed start in the hour after opening instead."""
        if self.closed is None:
            return t
        late = np.flatnonzero(((ch == PHONE) | (ch == CHAT)) & is_closed(t, self.closed))
        t[late] = next_open(t[late], self.closed) + self.rng.random(late.size) * HOUR
        return t

    def _touch(self, name: str, cid: np.ndarray) -> None:
        self.touched[name].append(cid)

    def _uniform(self, lo: float, hi: float, n: int) -> np.ndarray:
        return lo + (hi - lo) * self.rng.random(n)

    def _lognormal(self, median: np.ndarray | float, sigma: float, n: int) -> np.ndarray:
        return median * np.exp(sigma * self.rng.normal(size=n))

    def _usual_channel(self, reason: np.ndarray) -> np.ndarray:
        return pick_rows(self.rng, np.cumsum(self.m.reason_channel, axis=1)[reason])

    def _followup(
        self, batch: Batch, mask: np.ndarray, t: np.ndarray, channel: np.ndarray, kind: int
    ) -> Batch:
        nxt = batch.take(mask)
        nxt.t, nxt.channel = t[mask], np.asarray(channel)[mask]
        nxt.kind = np.full(len(nxt), kind, dtype=np.int64)
        nxt.seq = nxt.seq + 1
        nxt.case_queue = np.full(len(nxt), -1, dtype=np.int64)
        return nxt

    def _repeat(
        self, batch: Batch, mask: np.ndarray, t_end: np.ndarray, phone_p: np.ndarray | float
    ) -> Batch:
        """Unresolved customers come back after a lognormal delay, by phone with ``phone_p``."""
        n = len(batch)
        delay = self._lognormal(self.b.repeat_delay_median_h * HOUR, 0.8, n)
        usual = self._usual_channel(batch.reason)
        channel = np.where(self.rng.random(n) < phone_p, PHONE, usual)
        back = mask & (self.rng.random(n) < self.b.repeat_p)
        return self._followup(batch, back, t_end + delay, channel, NORMAL)

    def _pick_agent(self, queue: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m, k = self.m, queue.size
        team = (m.queue_team_cdf[queue] <= self.rng.random(k)[:, None]).sum(axis=1)
        team = np.minimum(team, len(m.team_agents) - 1)
        agent = m.team_agent_offset[team] + (self.rng.random(k) * m.team_agents[team]).astype(np.int64)
        return team, agent

    def _step(
        self,
        mask: np.ndarray,
        activity: int,
        duration: np.ndarray,
        outcome: int | np.ndarray = -1,
        *,
        cid: np.ndarray,
        t: np.ndarray,
        rows: np.ndarray,
        actor_type: np.ndarray,
        agent: np.ndarray,
        queue: np.ndarray,
        team: np.ndarray,
    ) -> None:
        """One agent step for the hop's ``rows`` selected by ``mask``; advances their clocks."""
        j = rows[mask]
        if self.closed is not None:
            t[j] = self._open(t[j])
        outcome = outcome[mask] if isinstance(outcome, np.ndarray) else outcome
        self.events.add(
            cid[j], t[j], activity, actor_type=actor_type[mask], actor=agent[mask], queue=queue[mask],
            team=team[mask], outcome=outcome, duration=duration,
        )  # fmt: skip
        t[j] += duration

    # --- front office: IVR / bot / email, then queues and agents ----------------------------------------
    def front(self, batch: Batch) -> Batch:
        m, b, rng, ev = self.m, self.b, self.rng, self.events
        n = len(batch)
        if n == 0:
            return batch
        cid = self._new_contacts(batch)
        for bh in m.active(BackOfficeBlackHole):
            self._touch(bh.name, cid[(batch.kind == CHASER) & (batch.case_queue == m.queue(bh.queue))])
        for hv in m.active(HealthyVolume):
            self._touch(hv.name, cid[(batch.kind == NORMAL) & (batch.reason == m.reason(hv.reason))])
        ch, r, kind = batch.channel, batch.reason, batch.kind
        t = self._defer_realtime(batch.t.copy(), ch)
        start = t.copy()  # each contact's first event: changes act on contacts starting from their date
        authed = np.zeros(n, dtype=bool)
        verified_by = np.full(n, -1, dtype=np.int64)  # the self-service actor type that authenticated
        after_bot = np.zeros(n, dtype=bool)
        friction = Friction.empty(n)
        last = np.full((2, n), -1, dtype=np.int64)  # the last queue each contact waited in, its agent's team

        ph = np.flatnonzero(ch == PHONE)
        d = self._uniform(20, 70, ph.size)
        ev.add(cid[ph], t[ph], A["IVR menu"], actor_type=T_IVR, actor=IVR_ACTOR, duration=d)
        t[ph] += d
        au = ph[rng.random(ph.size) < b.ivr_auth_p]
        d = self._uniform(15, 40, au.size)
        ev.add(cid[au], t[au], A["Authenticate"], actor_type=T_IVR, actor=IVR_ACTOR, duration=d)
        t[au] += d
        authed[au] = True
        verified_by[au] = T_IVR

        em = np.flatnonzero(ch == EMAIL)
        ev.add(cid[em], t[em], A["Email received"], actor_type=T_CUSTOMER, duration=0.0)

        bot = np.flatnonzero(ch == CHAT)
        d = self._uniform(5, 20, bot.size)
        ev.add(
            cid[bot], t[bot], A["Bot: conversation started"], actor_type=T_BOT, actor=BOT_ACTOR, duration=d
        )
        t[bot] += d
        known = rng.random(bot.size) < b.bot_intent_p
        d = self._uniform(5, 15, bot.size)
        act = np.where(known, A["Bot: intent recognised"], A["Bot: intent not recognised"])
        ev.add(cid[bot], t[bot], act, actor_type=T_BOT, actor=BOT_ACTOR, duration=d)
        t[bot] += d
        ba = bot[known & (rng.random(bot.size) < b.bot_auth_p)]
        d = self._uniform(10, 30, ba.size)
        ev.add(cid[ba], t[ba], A["Authenticate"], actor_type=T_BOT, actor=BOT_ACTOR, duration=d)
        t[ba] += d
        authed[ba] = True
        verified_by[ba] = T_BOT
        contained = known & (kind[bot] == NORMAL) & (rng.random(bot.size) < m.contain_p[r[bot]])
        co, ho = bot[contained], bot[~contained]
        d = self._uniform(20, 90, co.size)
        ev.add(
            cid[co],
            t[co],
            A["Bot: answer given"],
            actor_type=T_BOT,
            actor=BOT_ACTOR,
            outcome=O_CONTAINED,
            duration=d,
        )
        t[co] += d
        d = self._uniform(3, 10, ho.size)
        ev.add(
            cid[ho],
            t[ho],
            A["Bot: handoff to agent"],
            actor_type=T_BOT,
            actor=BOT_ACTOR,
            duration=d,
        )
        t[ho] += d
        after_bot[ho] = True

        # False containment: the bot's "contained" hides customers who were not helped.
        u = rng.random(co.size)
        p_false = np.full(co.size, b.false_containment_p)
        phone_p = np.full(n, b.switch_to_phone_p)
        for fc in m.active(FalseContainment):
            on = r[co] == m.reason(fc.reason)
            p_false[on] = fc.share
            phone_p[co[on]] = 1.0 if fc.comeback_channel == "phone" else 0.0
            self._touch(fc.name, cid[co[on & (u < fc.share) & (u >= b.false_containment_p)]])
        false = np.zeros(n, dtype=bool)
        false[co[u < p_false]] = True
        friction.unresolved |= false

        agents = np.flatnonzero(ch != CHAT)
        handed = None
        if self.plan is not None:
            entry = m.route[r, np.minimum(ch, EMAIL)]
            handed, gone = self.plan.enter(ev, cid, ch, r, entry, start, t)
            agents = agents[~gone[agents]]
        follow = [
            self._repeat(batch, false, t, phone_p),
            self._agents(
                batch,
                cid,
                t,
                np.sort(np.concatenate([agents, ho])),
                authed,
                after_bot,
                friction,
                verified_by,
                last,
                start,
                handed,
            ),
        ]
        self._survey(batch, cid, t, friction, last)
        return Batch.concat(follow)

    def _agents(
        self,
        batch: Batch,
        cid_all: np.ndarray,
        t_all: np.ndarray,
        idx: np.ndarray,
        authed_all: np.ndarray,
        after_bot_all: np.ndarray,
        friction: Friction,
        verified_by_all: np.ndarray,
        last_all: np.ndarray,
        start_all: np.ndarray,
        handed_all: np.ndarray | None = None,
    ) -> Batch:
        """Queue hops of contacts ``idx`` of ``batch``: wait or abandon, then an agent handles or passes."""
        m, b, rng, ev = self.m, self.b, self.rng, self.events
        n = idx.size
        cid, r, ch, kind = cid_all[idx], batch.reason[idx], batch.channel[idx], batch.kind[idx]
        authed, after_bot, verified_by = authed_all[idx], after_bot_all[idx], verified_by_all[idx]
        t = t_all[idx].copy()
        route, exit_, to_bo = plan_routes(m, rng, r, ch, kind, cid, self._touch)
        alive = np.ones(n, dtype=bool)
        abandoned = np.zeros(n, dtype=bool)
        resolved = np.zeros(n, dtype=bool)
        waited = np.zeros(n)
        ctx_lost = np.zeros(n, dtype=bool)
        hops = np.zeros(n, dtype=np.int64)
        boost = np.ones(n)
        for ra in m.active(RareAwfulJourney):
            boost[(kind == NORMAL) & (r == m.reason(ra.reason))] = ra.handle_factor
        vendor = {m.team(v.team): v for v in m.active(VendorPressure)}
        ctx_plants = {m.queue(c.queue): c for c in m.active(ContextLoss)}
        reverify = [(m.queue(v.queue), v) for v in m.active(RepeatedVerification)]
        hot = [(m.queue(h.queue), np.array(h.hours), h.name) for h in m.active(AbandonmentHotSpot)]
        for h in range(MAX_HOPS):
            i = np.flatnonzero(alive & (route[:, h] >= 0))
            if i.size == 0:
                break
            q, k = route[i, h], i.size
            hops[i] += 1
            entry = t[i].copy()
            draw = self.waits.draw(rng, q, entry)
            cb = (m.queue_callback[q] > 0) & (draw.virtual > b.callback_threshold_s)
            cb &= (draw.patience > b.callback_threshold_s) & (rng.random(k) < m.queue_callback[q])
            # Waiting is not work: the wait shows as the gap to the queue's next event, not as a duration.
            ev.add(cid[i], entry, A["Queue wait"], actor_type=T_SYSTEM, actor=ACD_ACTOR, queue=q)
            gone = draw.abandon & ~cb
            g = i[gone]
            ev.add(
                cid[g],
                entry[gone] + draw.wait[gone],
                A["Abandoned"],
                actor_type=T_CUSTOMER,
                queue=q[gone],
                outcome=O_ABANDONED,
                duration=0.0,
            )
            for hq, hours, name in hot:
                hour = ((entry[gone] % DAY) // HOUR).astype(np.int64)
                self._touch(name, cid[g[(q[gone] == hq) & np.isin(hour, hours)]])
            t[g] += draw.wait[gone]
            alive[g], abandoned[g] = False, True
            waited[i] += np.where(gone, draw.wait, draw.virtual)
            c = i[cb]
            ev.add(
                cid[c],
                entry[cb] + b.callback_threshold_s,
                A["Callback requested"],
                actor_type=T_CUSTOMER,
                queue=q[cb],
                duration=0.0,
            )

            keep = ~gone
            i, q, cb, entry, k = i[keep], q[keep], cb[keep], entry[keep], int(keep.sum())
            t[i] = entry + np.where(cb, draw.virtual[keep], draw.wait[keep])
            team, agent = self._pick_agent(q)
            last_all[0, idx[i]], last_all[1, idx[i]] = q, team
            actor_type = np.where(m.queue_channel[q] == BACK_OFFICE, T_BACK_OFFICE, T_AGENT)

            step = functools.partial(
                self._step, cid=cid, t=t, rows=i, actor_type=actor_type, agent=agent, queue=q, team=team
            )
            step(cb, A["Callback"], self._uniform(15, 40, int(cb.sum())))
            # The first agent gathers details (and authenticates a caller the IVR did not); after a
            # handoff the context should travel with the contact, unless it is lost.
            first = (h == 0) & ~after_bot[i]
            u = rng.random(k)
            p_ctx = np.full(k, b.context_loss_p)
            for cq, plant in ctx_plants.items():
                on = ~first & (q == cq)
                p_ctx[on] = plant.share
                self._touch(plant.name, cid[i[on & (u < plant.share) & (u >= b.context_loss_p)]])
            lost = ~first & (u < p_ctx)
            ctx_lost[i[lost]] = True
            auth = (first & ~authed[i] & (ch[i] != EMAIL)) | lost
            # Repeated verification: the agent verifies again whom the bot or IVR verified (no draw
            # unless planted, so the built-in centres keep their streams).
            for vq, plant in reverify:
                again = (q == vq) & (verified_by[i] >= 0) & ~auth & (rng.random(k) < plant.share)
                self._touch(plant.name, cid[i[again]])
                auth |= again
            step(auth, A["Authenticate"], self._uniform(30, 75, int(auth.sum())))
            gather = (first & (ch[i] != EMAIL)) | lost
            step(gather, A["Gather details"], self._uniform(40, 150, int(gather.sum())))

            fx: Hop | None = None
            if self.plan is not None and handed_all is not None:
                s_i, ci = start_all[idx[i]], cid[i]
                fx = self.plan.hop(h, ci, q, team, ch[i], r[i], s_i, handed_all[idx[i]])
                if h == 0:
                    self.plan.reroute(fx, route, exit_, i, r[i])
            last = route[i, h + 1] < 0 if h + 1 < MAX_HOPS else np.ones(k, dtype=bool)
            how = np.where(last, FINAL, exit_[i, h])
            chaser = kind[i] == CHASER
            bo = last & to_bo[i]
            final = last & ~bo & ~chaser
            factor = m.team_handle[team] * boost[i] * np.where(last, 1.0, b.transfer_handle_factor)
            factor = np.where(chaser, 0.5 * factor, factor)
            p_res = np.minimum(m.resolve_p[r[i]] * m.team_resolve[team], 1.0)
            p_eff = p_res.copy()
            claims = np.zeros(k, dtype=bool)
            u = rng.random(k)
            for vt, plant in vendor.items():
                on = team == vt
                factor[on] *= plant.handle_factor
                p_eff[on] = np.maximum(p_res[on] - plant.resolve_drop, 0.0)
                claims |= on
                self._touch(plant.name, cid[i[final & on & (u >= p_eff) & (u < p_res)]])
            if fx is not None:
                factor = factor * fx.handle
                first_contact = (batch.seq[idx[i]] == 0) & (kind[i] == NORMAL)
                p_eff = self.plan.resolve(fx, p_eff, final, first_contact) if self.plan else p_eff
            ok = final & (u < p_eff)
            honest = rng.random(k) < b.honesty_p
            recorded = np.where(ok | ~honest | claims, O_RESOLVED, O_UNRESOLVED)
            recorded = np.where(final, recorded, np.where(chaser & last, O_UNRESOLVED, -1))
            sigma = m.handle_sigma[r[i]]
            handle = m.handle_mean[r[i]] * np.exp(sigma * rng.normal(size=k) - sigma**2 / 2) * factor
            step(np.ones(k, dtype=bool), A["Agent handling"], handle, recorded)
            if fx is not None and self.plan is not None:
                self.plan.handled(fx, handle, cid[i])
            resolved[i[ok]] = True
            step(chaser & last, A["Case status checked"], self._uniform(10, 40, int((chaser & last).sum())))
            for activity, mask, outcome in (
                ("Transfer", how == TRANSFER, O_TRANSFERRED),
                ("Escalate to tier 2", how == ESCALATE, O_ESCALATED),
                ("Back-office case opened", bo, O_CLOSED),
            ):
                step(mask, A[activity], self._uniform(10, 60, int(mask.sum())), outcome)
            acw = np.zeros(k)
            acw[last] = self._lognormal(b.acw_median_s, 0.5, int(last.sum()))
            step(last, A["After-contact work"], acw[last])
            if self.waits.pilot:
                self.waits.record(q, entry, handle + acw)
            alive[i[last]] = False

        t_all[idx] = t
        normal = kind == NORMAL
        done = normal & ~abandoned & ~to_bo
        friction.waited[idx], friction.context[idx], friction.hops[idx] = waited, ctx_lost, hops
        friction.abandoned[idx] = abandoned
        friction.unresolved[idx] = done & ~resolved
        friction.pending[idx] = (to_bo & ~abandoned) | (kind == CHASER)
        sub = batch.take(idx)
        retry = normal & abandoned & (rng.random(n) < b.retry_p)
        same = np.where(rng.random(n) < 0.8, ch, PHONE)
        opened = to_bo & ~abandoned
        return Batch.concat(
            [
                self._followup(sub, retry, t + rng.exponential(b.retry_delay_mean_h * HOUR, n), same, NORMAL),
                self._repeat(sub, done & ~resolved, t, b.switch_to_phone_p),
                self._followup(sub, opened, t + self._uniform(60, 900, n), np.full(n, BACK_OFFICE), BO_ITEM),
            ]
        )

    # --- back office -------------------------------------------------------------------------------------
    def back_office(self, batch: Batch) -> Batch:
        """Work items: queued for days, handled, closed; customers chase cases that wait too long."""
        m, b, rng, ev = self.m, self.b, self.rng, self.events
        n = len(batch)
        if n == 0:
            return batch
        cid = self._new_contacts(batch)
        q = m.bo_queue[batch.reason]
        t = batch.t
        wait = self.waits.draw(rng, q, t).wait
        team, agent = self._pick_agent(q)
        ev.add(cid, t, A["Case queued"], actor_type=T_SYSTEM, actor=ACD_ACTOR, queue=q)
        start = self._open(t + wait)
        d = self._lognormal(b.back_office_handle_median_s, 0.6, n)
        ev.add(
            cid,
            start,
            A["Back-office handling"],
            actor_type=T_BACK_OFFICE,
            actor=agent,
            queue=q,
            team=team,
            duration=d,
        )
        ok = rng.random(n) < b.back_office_resolve_p
        end = self._open(start + d)
        ev.add(
            cid,
            end,
            A["Case closed"],
            actor_type=T_BACK_OFFICE,
            actor=agent,
            queue=q,
            team=team,
            outcome=np.where(ok, O_RESOLVED, O_UNRESOLVED),
            duration=0.0,
        )

        rate = np.full(n, b.chase_rate_per_day)
        for bh in m.active(BackOfficeBlackHole):
            on = q == m.queue(bh.queue)
            rate[on] = bh.chase_rate_per_day
            self._touch(bh.name, cid[on])
        exposed = np.maximum(wait - b.chase_after_days * DAY, 0.0)
        count = np.minimum(rng.poisson(rate * exposed / DAY), b.max_chases)
        who = np.repeat(np.arange(n), count)
        chase = batch.take(who)
        chase.t = t[who] + b.chase_after_days * DAY + rng.random(who.size) * exposed[who]
        chase.channel = np.where(rng.random(who.size) < 0.7, PHONE, EMAIL)
        chase.kind = np.full(who.size, CHASER, dtype=np.int64)
        chase.seq = chase.seq + 1
        chase.case_queue = q[who]
        return Batch.concat([chase, self._repeat(batch, ~ok, end, b.switch_to_phone_p)])

    # --- surveys -----------------------------------------------------------------------------------------
    def _survey(
        self, batch: Batch, cid: np.ndarray, t_end: np.ndarray, f: Friction, last: np.ndarray
    ) -> None:
        """A share of customers answer a CSAT survey after a contact that was not abandoned.

        A planted ``survey_drop`` shifts the scores of the responses in its segment and period (by the
        survey's time); it draws nothing, so everything else is the same draw as without it.
        """
        rng = self.rng
        n = len(batch)
        asked = (batch.kind == NORMAL) & ~f.abandoned & (rng.random(n) < self.b.survey_p)
        at = t_end + self._uniform(60, 900, n)
        k = int(asked.sum())
        shift, hit = np.zeros(k), {}
        for sd in self.m.active(SurveyDrop):
            end = min(sd.start_day + sd.days, self.days) * DAY  # the extract ends at the horizon
            on = (at[asked] >= sd.start_day * DAY) & (at[asked] < end)
            for key, codes, names in (
                ("reason", batch.reason, [r.name for r in self.m.scenario.reasons]),
                ("channel", batch.channel, list(CHANNELS)),
                ("queue", last[0], [q.name for q in self.m.scenario.queues]),
                ("team", last[1], [tm.name for tm in self.m.scenario.teams]),
            ):
                if getattr(sd, key):
                    on &= codes[asked] == names.index(getattr(sd, key))
            shift[on] += sd.score_shift
            hit[sd.name] = on
        score, base, _, code = survey_scores(
            rng,
            self.voice,
            prior=batch.seq[asked],
            transfers=np.maximum(f.hops[asked] - 1, 0),
            long_wait=f.waited[asked] > 300,
            context=f.context[asked],
            unresolved=f.unresolved[asked],
            pending=f.pending[asked],
            shift=shift if hit else None,
        )
        for name, on in hit.items():
            self._touch(name, cid[asked][on])
            self.drops[name].append(np.stack([base[on], score[on]]))
        first = self.events.add(
            cid[asked], at[asked], A["Survey"], actor_type=T_CUSTOMER, actor=SURVEY_ACTOR, duration=0.0
        )
        self.surveys["event"].append(np.arange(first, first + k, dtype=np.int64))
        self.surveys["score"].append(score)
        self.surveys["verbatim"].append(verbatim_index(code, batch.reason[asked]))
