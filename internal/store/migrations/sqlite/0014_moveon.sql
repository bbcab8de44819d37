-- Accommodation, continued: the tasks each child in refuge needs done
-- soon after moving in (registering with a GP, finding a school place),
-- and each stay's move-on plan with its applications to district housing
-- providers and their history (applied, registered with a band, bids,
-- offers, housed or withdrawn). Notes, references, bid and offer details
-- and refusal reasons are sealed by the vault.
CREATE TABLE refuge_child_tasks (
    id          TEXT PRIMARY KEY,
    stay_id     TEXT NOT NULL REFERENCES refuge_stays(id),
    child_id    TEXT NOT NULL REFERENCES children(id),
    kind        TEXT NOT NULL CHECK (kind IN ('gp_registration', 'school_place')),
    status      TEXT NOT NULL CHECK (status IN ('open', 'done', 'not_needed')),
    due_at      TIMESTAMP NOT NULL,
    done_at     TIMESTAMP,
    done_by     TEXT REFERENCES staff(id),
    note_sealed TEXT,
    created_at  TIMESTAMP NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    UNIQUE (stay_id, child_id, kind),
    CHECK ((status = 'open') = (done_at IS NULL))
);
CREATE INDEX refuge_child_tasks_open ON refuge_child_tasks(due_at) WHERE status = 'open';

-- One plan a stay: where the household means to go and by when.
CREATE TABLE refuge_moveon_plans (
    stay_id      TEXT PRIMARY KEY REFERENCES refuge_stays(id),
    goal         TEXT NOT NULL CHECK (goal IN ('own_tenancy', 'social_housing', 'private_rented', 'family_or_friends', 'another_refuge', 'returned_to_perpetrator', 'unknown')),
    target_date  TIMESTAMP,
    notes_sealed TEXT,
    created_by   TEXT REFERENCES staff(id),
    created_at   TIMESTAMP NOT NULL,
    updated_by   TEXT REFERENCES staff(id),
    updated_at   TIMESTAMP NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
);

-- An application to a district's housing provider; status is the kind of
-- its latest event.
CREATE TABLE refuge_housing_applications (
    id               TEXT PRIMARY KEY,
    stay_id          TEXT NOT NULL REFERENCES refuge_stays(id),
    provider         TEXT NOT NULL,
    applied_on       TIMESTAMP NOT NULL,
    reference_sealed TEXT,
    band             TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL CHECK (status IN ('applied', 'registered', 'bid', 'offer_made', 'offer_accepted', 'offer_refused', 'housed', 'withdrawn')),
    created_by       TEXT REFERENCES staff(id),
    created_at       TIMESTAMP NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX refuge_housing_applications_stay ON refuge_housing_applications(stay_id, applied_on);
CREATE INDEX refuge_housing_applications_status ON refuge_housing_applications(status);

-- The history of an application, in order (seq from 1, the application).
CREATE TABLE refuge_housing_events (
    id             TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES refuge_housing_applications(id),
    seq            INTEGER NOT NULL CHECK (seq >= 1),
    kind           TEXT NOT NULL CHECK (kind IN ('applied', 'registered', 'bid', 'offer_made', 'offer_accepted', 'offer_refused', 'housed', 'withdrawn')),
    occurred_on    TIMESTAMP NOT NULL,
    band           TEXT NOT NULL DEFAULT '',
    -- A bid's property reference or area, an offer's area, a refusal's
    -- reason.
    detail_sealed  TEXT,
    created_by     TEXT REFERENCES staff(id),
    created_at     TIMESTAMP NOT NULL,
    UNIQUE (application_id, seq)
);
