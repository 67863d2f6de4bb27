"""Validating one platform variant: every problem names the platform and what to do."""

import pytest

from studio.platforms.limits import PLATFORMS, rules_for
from studio.platforms.validation import MediaInfo, Problem, validate_variant


def check(platform, text="Hello", media=(), options=None, overrides=None, tags=()):
    rules = rules_for(platform, overrides)
    return validate_variant(platform, text, list(media), options or {}, rules, tags=tags)


def codes(problems):
    return [p.code for p in problems]


def only(problems, code) -> Problem:
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, codes(problems)
    return found[0]


def image(w=1080, h=1350, **kw):
    return MediaInfo("image", w, h, kw.pop("bytes", 400_000), kw.pop("mime", "image/jpeg"), **kw)


def video(seconds=30.0, **kw):
    return MediaInfo(
        "video", 1080, 1920, kw.pop("bytes", 9_000_000), "video/mp4", duration_s=seconds
    )


def test_a_good_variant_has_no_problems():
    assert check("x", "Spring menu is live https://example.com #food", [image(1600, 900)]) == []
    assert check("instagram", "New menu #food", [image(preset_id="instagram_portrait")]) == []


def test_too_long_says_by_how_much_and_how_the_platform_counts():
    problem = only(check("x", "a" * 290), "text_too_long")
    assert problem.severity == "error" and problem.platform == "x"
    assert problem.message.startswith("X: ")
    assert "10 characters over" in problem.message and "290 of 280" in problem.message
    assert "Shorten the X variant by 10" in problem.hint


def test_too_long_mentions_a_brand_override():
    problem = only(check("mastodon", "a" * 1200, overrides={"text_limit": 1000}), "text_too_long")
    assert "1,200 of 1,000" in problem.message and "override" in problem.message


def test_mastodon_content_warning_counts_toward_the_limit():
    problems = check("mastodon", "b" * 300, options={"content_warning": "c" * 201})
    assert "text and content warning" in only(problems, "text_too_long").message


def test_bluesky_byte_cap_is_its_own_problem():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
    problems = check("bluesky", family * 150)
    assert codes(problems) == ["text_too_many_bytes"]
    assert "750 bytes over" in problems[0].message


def test_empty_post_without_media():
    assert codes(check("x", "   ")) == ["empty_post"]
    assert check("x", "", [image(1600, 900)]) == []


def test_too_many_hashtags_and_mentions_on_instagram():
    text = " ".join(f"#tag{i}" for i in range(32)) + " " + " ".join(f"@user{i}" for i in range(21))
    problems = check("instagram", text, [image()])
    assert "32 hashtags; Instagram allows at most 30" in only(problems, "too_many_hashtags").message
    assert "Remove 2 hashtags" in only(problems, "too_many_hashtags").hint
    assert "Remove 1 mention" in only(problems, "too_many_mentions").hint


def test_extra_tags_count_toward_the_hashtag_cap():
    text = " ".join(f"#t{i}x" for i in range(29))
    assert check("instagram", text, [image()], tags=["#brand"]) == []
    assert "too_many_hashtags" in codes(check("instagram", text, [image()], tags=["a", "b"]))


def test_soft_hashtag_limits_are_warnings():
    problem = only(check("threads", "#one #two"), "hashtags_ignored")
    assert problem.severity == "warning" and "Threads" in problem.message


def test_threads_fails_posts_with_more_than_five_links():
    text = " ".join(f"https://example{i}.com" for i in range(6))
    assert "6 different links" in only(check("threads", text), "too_many_links").message
    assert "too_many_links" not in codes(check("threads", "https://a.com " * 6))


def test_instagram_needs_media():
    problem = only(check("instagram", "Just words"), "media_required")
    assert problem.target == "media" and "Attach an image" in problem.hint


@pytest.mark.parametrize("platform", ["tiktok", "pinterest", "youtube"])
def test_media_first_platforms_need_media(platform):
    assert "media_required" in codes(check(platform, "Words only", options={"title": "T"}))


def test_too_many_media_and_per_kind_caps():
    assert "too_many_media" in codes(check("x", "hi", [image(1600, 900)] * 5))
    problems = check("x", "hi", [video(), video()])
    assert "2 videos; X takes at most 1" in only(problems, "too_many_of_kind").message


def test_mixed_media_where_the_platform_forbids_it():
    problem = only(check("x", "hi", [image(1600, 900), video()]), "mixed_media")
    assert "a video must be the post's only media" in problem.message
    assert check("instagram", "hi", [image(), video()]) == []


def test_media_kind_not_allowed():
    gif = MediaInfo("gif", 480, 480, 900_000, "image/gif")
    problem = only(check("instagram", "hi", [gif]), "media_kind_not_allowed")
    assert "item 1 is a GIF; Instagram takes only images or videos" in problem.message
    assert problem.media_index == 0


def test_unknown_media_kind_is_a_problem_not_a_crash():
    weird = MediaInfo("hologram", None, None, None, None)
    assert codes(check("x", "hi", [weird])) == ["media_kind_unknown"]


def test_media_byte_type_and_pixel_caps():
    big = image(1600, 900, bytes=6_000_000)
    assert "6 MB; X takes up to 5 MB" in only(check("x", "hi", [big]), "media_too_large").message
    heic = image(1080, 1350, mime="image/heic")
    assert "media_type_not_allowed" in codes(check("instagram", "hi", [heic]))
    huge = image(9000, 4000)
    assert "media_too_many_pixels" in codes(check("x", "hi", [huge]))
    assert "media_too_many_pixels" in codes(check("linkedin", "hi", [image(8000, 6000)]))


def test_wide_images_get_a_downscale_warning():
    problem = only(check("instagram", "hi", [image(2160, 2700)]), "media_downscaled")
    assert problem.severity == "warning"


def test_aspect_outside_the_platform_range():
    problem = only(check("instagram", "hi", [image(1080, 1920)]), "aspect_out_of_range")
    assert "0.56:1" in problem.message and "0.80:1 to 1.91:1" in problem.message
    # 1080x566 rounds to 1.908: inside the range.
    assert check("instagram", "hi", [image(1080, 566)]) == []


def test_wrong_aspect_for_the_chosen_preset():
    squashed = image(1080, 1080, preset_id="instagram_portrait")
    problem = only(check("instagram", "hi", [squashed]), "aspect_mismatch_preset")
    assert problem.severity == "warning" and "4:5" in problem.message


def test_preset_from_another_platform_or_unknown():
    assert "preset_other_platform" in codes(
        check("x", "hi", [image(1080, 1350, preset_id="instagram_portrait")])
    )
    assert "preset_unknown" in codes(check("x", "hi", [image(1600, 900, preset_id="nope")]))


def test_missing_alt_text_only_when_the_brand_requires_it():
    assert check("x", "hi", [image(1600, 900)]) == []
    problem = only(
        check("x", "hi", [image(1600, 900)], options={"require_alt_text": True}), "missing_alt_text"
    )
    assert "image 1 has no alt text" in problem.message and problem.media_index == 0
    # TikTok has no alt text to give, so nothing to require.
    assert check("tiktok", "hi", [image(1080, 1920)], options={"require_alt_text": True}) == []


def test_alt_text_too_long():
    long_alt = image(1600, 900, alt_text="a" * 1001)
    assert (
        "1,001 characters; X takes up to 1,000"
        in only(check("x", "hi", [long_alt]), "alt_text_too_long").message
    )
    assert check("mastodon", "hi", [image(alt_text="a" * 1500)]) == []


def test_video_duration_limits():
    assert "video_too_long" in codes(check("x", "hi", [video(141)]))
    assert "video_too_short" in codes(check("linkedin", "hi", [video(2)]))


def test_youtube_title_rules():
    assert "title_required" in codes(check("youtube", "desc", [video()]))
    problems = check("youtube", "desc <b>", [video()], options={"title": "x" * 101 + "<"})
    assert {"title_too_long", "invalid_characters"} <= set(codes(problems))
    assert [p.target for p in problems if p.code == "invalid_characters"] == ["text", "title"]


def test_pinterest_title_and_link():
    pin = [image(1000, 1500)]
    assert check("pinterest", "Pin", pin, options={"title": "Fine", "link": "https://e.com"}) == []
    problems = check("pinterest", "Pin", pin, options={"title": "t" * 101, "link": "javascript:1"})
    assert {"title_too_long", "link_invalid"} == set(codes(problems))
    too_long = "https://e.com/" + "a" * 2048
    assert codes(check("pinterest", "Pin", pin, options={"link": too_long})) == ["link_too_long"]


def test_tiktok_photo_posts_use_the_photo_title_and_caption_limits():
    photos = [image(1080, 1920)] * 2
    assert check("tiktok", "a" * 3000, photos, options={"title": "t" * 90}) == []
    problems = check("tiktok", "a" * 3000, [video()], options={"title": "t" * 91})
    assert codes(problems) == ["text_too_long"]
    assert "title_too_long" in codes(check("tiktok", "hi", photos, options={"title": "t" * 91}))


def test_first_comment_limit():
    problem = only(
        check("linkedin", "hi", options={"first_comment": "c" * 1251}), "first_comment_too_long"
    )
    assert problem.target == "first_comment"


def test_youtube_tags_total_length():
    tags = ["long tag name"] * 40  # 40 x (13 + 2 quotes) + 39 commas = 639
    problem = only(
        check("youtube", "d", [video()], options={"title": "T"}, tags=tags), "tags_too_long"
    )
    assert "639 characters" in problem.message


def test_platform_not_used_by_the_brand():
    problem = only(
        check("tiktok", "hi", [video()], options={"brand_platforms": ["x"]}), "platform_not_used"
    )
    assert problem.target == "platform" and "TikTok" in problem.hint
    assert check("x", "hi", options={"brand_platforms": ["x"]}) == []


def test_x_refuses_invalid_characters_and_broken_surrogates():
    assert "invalid_characters" in codes(check("x", "abc\ufffe"))
    assert "invalid_characters" in codes(check("instagram", "ok \ud800", [image()]))


def test_errors_come_before_warnings():
    problems = check("threads", "#a #b " + "x" * 600)
    assert [p.severity for p in problems] == ["error", "warning"]


def test_rules_for_another_platform_are_a_programming_error():
    with pytest.raises(ValueError, match="rules are for 'x'"):
        validate_variant("instagram", "hi", [], {}, PLATFORMS["x"])


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_every_message_names_its_platform(platform):
    media = [image(5000, 100, bytes=10**9, alt_text="a" * 3000, preset_id="nope"), video(10**5)] * 6
    problems = check(
        platform,
        "<script>alert(1)</script> " + "#tag " * 70 + "\ufffe",
        media,
        options={"require_alt_text": True, "title": "t" * 300, "first_comment": "c" * 9000},
        tags=["t" * 600],
    )
    assert problems
    name = PLATFORMS[platform].name
    for problem in problems:
        assert problem.platform == platform
        assert problem.message.startswith(f"{name}: ")
        assert problem.hint and problem.severity in ("error", "warning")


def test_media_with_missing_or_nonsense_numbers_does_not_crash():
    odd = [
        MediaInfo("image", None, None, None, None),
        MediaInfo("image", 0, 0, -1, ""),
        MediaInfo("video", 100, 0, None, None, duration_s=-3),
    ]
    for platform in PLATFORMS:
        assert isinstance(check(platform, "hi", odd, options={"title": "T"}), list)


def test_malformed_destination_link_is_a_problem_not_a_crash():
    pin = [image(1000, 1500)]
    for link in ("http://[::1", "https://", "www.example.com", "http://exa mple.com\x00"):
        assert codes(check("pinterest", "Pin", pin, options={"link": link})) == ["link_invalid"]


BAD_TEXTS = [
    ("Plume writes once. https://example.com #plume @ann " * 2000)[:100_000],
    "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466" * 400,
    "\u05e9\u05dc\u05d5\u05dd \u202bmixed\u202c \u0645\u0631\u062d\u0628\u0627 https://e.com",
    "e" + "\u0301" * 3000,
    "\u200b\u200c\u200d\ufeff" * 100,
    "http:// https://.com http://[::1 www..com javascript:alert(1) <script>x</script>",
]


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_bad_text_gives_problems_not_exceptions(platform):
    for text in BAD_TEXTS:
        problems = check(platform, text, [image(1080, 1350)], options={"title": "T"})
        assert all(isinstance(p, Problem) for p in problems)
