package results

// QuestionResult finds the figures of the question with key (false when
// the survey has no such question). Other features cite one question's
// figures through it, e.g. the channel policy's evidence.
func (r *Results) QuestionResult(key string) (*QuestionResult, bool) {
	for i := range r.Questions {
		if r.Questions[i].Question.Key == key {
			return &r.Questions[i], true
		}
	}
	return nil, false
}
