"""A patient's access history: every audit event about the patient or anything filed under them (lesions, cases,
images, AI opinions), for the dermatologists of the patient's clinic. It lives in diagnosis because the AI
opinions are diagnosis's objects and patients never imports diagnosis."""
