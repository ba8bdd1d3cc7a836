"""diagnosis.review.rules, alone (pure functions, no database): each contradiction is refused, each downgrade
trigger needs a reason, consistent decisions pass and what a downgrade went against is named."""

import pytest

from diagnosis.review.rules import Decision, Opinion, diagnosis_recorded, downgrade_of, review_problems

BENIGN_AI = Opinion(ai_diagnosis="nv")


def fields(decision, opinion=BENIGN_AI):
    return [field for field, _ in review_problems(decision, opinion)]


def messages(decision, opinion=BENIGN_AI):
    return " ".join(message for _, message in review_problems(decision, opinion))


# Contradictions --------------------------------------------------------------------------------------------


def test_confirm_with_another_diagnosis_is_refused_not_rewritten():
    decision = Decision("confirm", diagnosis="mel", plan="excision")
    assert fields(decision) == ["diagnosis"]
    text = messages(decision)
    assert "You chose Melanoma" in text and "Melanocytic nevus" in text and "“Override”" in text


@pytest.mark.parametrize("diagnosis", ["", "nv"])
def test_confirm_with_no_diagnosis_or_the_ais_is_accepted(diagnosis):
    decision = Decision("confirm", diagnosis=diagnosis, plan="reassure")
    assert review_problems(decision, BENIGN_AI) == []
    assert diagnosis_recorded(decision, BENIGN_AI) == "nv"


def test_confirm_without_an_ai_diagnosis_is_refused():
    assert fields(Decision("confirm", plan="excision"), Opinion()) == ["decision"]


def test_override_without_a_diagnosis_is_refused():
    decision = Decision("override", plan="excision")
    assert fields(decision) == ["diagnosis"]
    assert "choose the diagnosis" in messages(decision)


def test_override_with_the_ais_diagnosis_is_refused():
    assert fields(Decision("override", diagnosis="nv", plan="reassure")) == ["diagnosis"]


@pytest.mark.parametrize("decision", ["", "maybe"])
def test_decision_is_required(decision):
    assert fields(Decision(decision, plan="excision")) == ["decision"]


@pytest.mark.parametrize("malignant", ["akiec", "bcc", "mel"])
def test_reassure_does_not_fit_a_malignant_diagnosis(malignant):
    decision = Decision("override", diagnosis=malignant, plan="reassure")
    assert fields(decision) == ["plan"]
    assert "“Reassure” does not fit" in messages(decision)


def test_follow_up_does_not_fit_melanoma():
    assert fields(Decision("override", diagnosis="mel", plan="follow_up", follow_up_months=3)) == ["plan"]


@pytest.mark.parametrize("plan", ["excision", "biopsy", "referral"])
@pytest.mark.parametrize("malignant", ["akiec", "bcc", "mel"])
def test_malignant_with_a_treating_plan_is_accepted(malignant, plan):
    assert review_problems(Decision("override", diagnosis=malignant, plan=plan), BENIGN_AI) == []


@pytest.mark.parametrize(("plan", "months"), [("follow_up", None), ("follow_up", 0), ("follow_up", 61), ("excision", 3)])
def test_follow_up_interval_goes_with_follow_up_only(plan, months):
    assert fields(Decision("confirm", plan=plan, follow_up_months=months)) == ["follow_up_months"]


@pytest.mark.parametrize("plan", ["", "surgery"])
def test_plan_is_required(plan):
    assert fields(Decision("confirm", plan=plan)) == ["plan"]


def test_every_problem_is_reported_at_once():
    opinion = Opinion(ai_diagnosis="bcc")
    problems = fields(Decision("override", diagnosis="mel", plan="reassure", follow_up_months=6), opinion)
    assert sorted(problems) == ["follow_up_months", "plan"]


# Downgrades ------------------------------------------------------------------------------------------------

TRIGGERS = {
    "ai_class_bcc": (Opinion(ai_diagnosis="bcc"), "AI: Basal cell carcinoma"),
    "ai_class_akiec": (Opinion(ai_diagnosis="akiec"), "AI: Actinic keratosis / intraepithelial carcinoma"),
    "ai_class_mel": (Opinion(ai_diagnosis="mel"), "AI: Melanoma"),
    "ai_mel_flag": (Opinion(ai_diagnosis="nv", ai_mel_flag=True), "AI flag: suspicious for melanoma"),
    "ai_malignant_flag": (Opinion(ai_diagnosis="nv", ai_malignant_flag=True), "AI flag: suspicious for malignancy"),
    "review": (Opinion(ai_diagnosis="nv", review_diagnosis="mel"), "review in force: Melanoma"),
    "histology": (Opinion(ai_diagnosis="nv", histology_diagnosis="bcc"), "histology: Basal cell carcinoma"),
}


@pytest.mark.parametrize("trigger", list(TRIGGERS))
def test_benign_diagnosis_against_a_malignant_or_flagged_opinion_needs_a_reason(trigger):
    opinion, words = TRIGGERS[trigger]
    decision = Decision("override", diagnosis="bkl", plan="excision")
    assert fields(decision, opinion) == ["downgrade_reason"]
    assert "Not saved without a reason" in messages(decision, opinion)
    with_reason = Decision("override", diagnosis="bkl", plan="excision", downgrade_reason="Typical seborrhoeic keratosis")
    assert review_problems(with_reason, opinion) == []
    assert downgrade_of(with_reason, opinion) == words


@pytest.mark.parametrize("trigger", list(TRIGGERS))
@pytest.mark.parametrize(("plan", "months"), [("reassure", None), ("follow_up", 6)])
def test_reassure_or_follow_up_against_a_malignant_or_flagged_opinion_needs_a_reason(trigger, plan, months):
    opinion, _ = TRIGGERS[trigger]
    decision = Decision("override", diagnosis="df", plan=plan, follow_up_months=months)
    assert fields(decision, opinion) == ["downgrade_reason"]
    assert review_problems(Decision("override", diagnosis="df", plan=plan, follow_up_months=months,
                                    downgrade_reason="Dermatofibroma sign"), opinion) == []


def test_follow_up_of_a_carcinoma_the_ai_found_is_a_downgrade():
    opinion = Opinion(ai_diagnosis="bcc")
    decision = Decision("confirm", plan="follow_up", follow_up_months=3)
    assert fields(decision, opinion) == ["downgrade_reason"]
    done = Decision("confirm", plan="follow_up", follow_up_months=3, downgrade_reason="Elderly, superficial, declines surgery")
    assert review_problems(done, opinion) == [] and downgrade_of(done, opinion) == "AI: Basal cell carcinoma"


def test_the_issue_case_bcc_flagged_to_benign_keratosis_reassure():
    opinion = Opinion(ai_diagnosis="bcc", ai_malignant_flag=True)
    decision = Decision("override", diagnosis="bkl", plan="reassure")
    assert fields(decision, opinion) == ["downgrade_reason"]
    text = messages(decision, opinion)
    assert "the AI's most likely class is Basal cell carcinoma" in text and "suspicious for malignancy" in text
    assert "a benign diagnosis (Benign keratosis-like lesion)" in text and "“Reassure” plan" in text


def test_every_source_is_named_most_authoritative_first():
    opinion = Opinion(ai_diagnosis="bcc", ai_mel_flag=True, ai_malignant_flag=True, review_diagnosis="mel",
                      histology_diagnosis="akiec")
    decision = Decision("override", diagnosis="nv", plan="reassure", downgrade_reason="x")
    assert downgrade_of(decision, opinion) == (
        "histology: Actinic keratosis / intraepithelial carcinoma; review in force: Melanoma; "
        "AI: Basal cell carcinoma; AI flag: suspicious for melanoma"
    )
    assert opinion.malignant_class == "akiec"
    assert Opinion(ai_diagnosis="nv", ai_mel_flag=True).malignant_class == "mel"
    assert Opinion(ai_diagnosis="nv", ai_malignant_flag=True).malignant_class == ""


@pytest.mark.parametrize("opinion", [BENIGN_AI, Opinion(ai_diagnosis="nv", histology_diagnosis="other"),
                                     Opinion(ai_diagnosis="nv", review_diagnosis="bkl")])
@pytest.mark.parametrize(("diagnosis", "plan", "months"), [("bkl", "reassure", None), ("df", "follow_up", 12)])
def test_benign_on_a_benign_opinion_needs_no_reason_and_refuses_one(opinion, diagnosis, plan, months):
    decision = Decision("override", diagnosis=diagnosis, plan=plan, follow_up_months=months)
    assert review_problems(decision, opinion) == [] and downgrade_of(decision, opinion) == ""
    with_reason = Decision("override", diagnosis=diagnosis, plan=plan, follow_up_months=months, downgrade_reason="because")
    assert fields(with_reason, opinion) == ["downgrade_reason"]


@pytest.mark.parametrize("trigger", list(TRIGGERS))
def test_a_malignant_decision_that_treats_is_no_downgrade(trigger):
    opinion, _ = TRIGGERS[trigger]
    diagnosis = "mel" if opinion.ai_diagnosis != "mel" else "bcc"
    decision = Decision("override", diagnosis=diagnosis, plan="excision")
    assert review_problems(decision, opinion) == [] and downgrade_of(decision, opinion) == ""


def test_benign_with_excision_against_a_flag_is_still_a_downgrade():
    opinion = Opinion(ai_diagnosis="nv", ai_mel_flag=True)
    assert fields(Decision("confirm", plan="excision"), opinion) == ["downgrade_reason"]


def test_a_whitespace_reason_is_no_reason():
    opinion = Opinion(ai_diagnosis="mel")
    assert fields(Decision("override", diagnosis="nv", plan="reassure", downgrade_reason="   "), opinion) == ["downgrade_reason"]
