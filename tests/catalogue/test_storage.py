"""Image storage: the local folder and an S3 bucket (a real S3 API, moto in server mode) behave alike."""
from __future__ import annotations

import boto3
import pytest
from test_images import jpeg_bytes

from catalogue.images import InvalidImage, process_image
from catalogue.models import ProductImage
from catalogue.services import add_image, delete_image
from catalogue.storage import LocalStorage, S3Storage, StorageError, storage_for
from factories import make_product


@pytest.fixture
def s3_config(s3_bucket, moto_s3_url) -> dict:
    return {"MEDIA_S3_BUCKET": s3_bucket, "MEDIA_S3_ENDPOINT_URL": moto_s3_url, "MEDIA_S3_REGION": "eu-north-1"}


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path) -> dict:
    """The config of one storage backend; the S3 one asks for the moto server only when used."""
    config = {"MEDIA_ROOT": str(tmp_path / "media")}
    if request.param == "s3":
        config |= request.getfixturevalue("s3_config")
    return config


def objects(config: dict) -> set[str]:
    """Every key in the bucket, read straight from the S3 API."""
    client = boto3.session.Session().client("s3", endpoint_url=config["MEDIA_S3_ENDPOINT_URL"],
                                            region_name=config["MEDIA_S3_REGION"])
    return {item["Key"] for item in client.list_objects_v2(Bucket=config["MEDIA_S3_BUCKET"]).get("Contents", [])}


def test_the_config_chooses_the_backend(tmp_path, s3_config):
    local = storage_for({"MEDIA_ROOT": str(tmp_path)})
    s3 = storage_for({"MEDIA_ROOT": str(tmp_path), **s3_config})

    assert isinstance(local, LocalStorage) and local.root == tmp_path
    assert isinstance(s3, S3Storage) and s3.bucket == s3_config["MEDIA_S3_BUCKET"]


def test_a_saved_file_can_be_read_back_and_replaced(backend):
    storage = storage_for(backend)

    storage.save("products/ab/c1/320.webp", b"first", "image/webp")
    assert storage.exists("products/ab/c1/320.webp")
    assert storage.open("products/ab/c1/320.webp") == b"first"
    storage.save("products/ab/c1/320.webp", b"second", "image/webp")
    assert storage.open("products/ab/c1/320.webp") == b"second"


def test_a_missing_file_does_not_exist_and_cannot_be_opened(backend):
    storage = storage_for(backend)

    assert not storage.exists("products/ab/none/320.webp")
    with pytest.raises(FileNotFoundError):
        storage.open("products/ab/none/320.webp")


def test_deleting_a_prefix_takes_that_folder_only_not_a_longer_name_beside_it(backend):
    storage = storage_for(backend)
    for key in ("products/ab/12/320.webp", "products/ab/12/original.jpg", "products/ab/123/320.webp"):
        storage.save(key, b"x", "image/webp")

    assert storage.delete_prefix("products/ab/12") == 2

    assert not storage.exists("products/ab/12/320.webp") and not storage.exists("products/ab/12/original.jpg")
    assert storage.exists("products/ab/123/320.webp")
    assert storage.delete_prefix("products/ab/12") == 0


@pytest.mark.parametrize("key", ["../secret.txt", "/etc/passwd", "products/../../x.jpg", "products//x.jpg", "", "a b.jpg"])
def test_keys_that_could_leave_the_folder_or_bucket_are_refused(backend, key):
    storage = storage_for(backend)

    with pytest.raises(ValueError):
        storage.save(key, b"x", "image/jpeg")
    with pytest.raises(ValueError):
        storage.exists(key)


def test_the_pipeline_writes_every_variant_with_its_content_type(backend):
    storage = storage_for(backend)

    stored = process_image(jpeg_bytes(2000, 1500), storage)

    names = ["original.jpg"] + [f"{w}.{ext}" for w in stored.widths for ext in ("webp", "jpg")]
    for name in names:
        assert storage.open(f"{stored.storage_key}/{name}")[:4] in (b"RIFF", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xdb")
    if "MEDIA_S3_BUCKET" in backend:
        client = boto3.session.Session().client("s3", endpoint_url=backend["MEDIA_S3_ENDPOINT_URL"],
                                                region_name="eu-north-1")
        head = client.head_object(Bucket=backend["MEDIA_S3_BUCKET"], Key=f"{stored.storage_key}/800.webp")
        assert head["ContentType"] == "image/webp"
        assert "immutable" in head["CacheControl"]
        assert objects(backend) == {f"{stored.storage_key}/{name}" for name in names}


def test_a_refused_upload_stores_nothing(backend):
    storage = storage_for(backend)

    with pytest.raises(InvalidImage):
        process_image(b"not an image", storage)

    if "MEDIA_S3_BUCKET" in backend:
        assert objects(backend) == set()


def test_a_storage_that_fails_half_way_leaves_no_half_image(tmp_path):
    class DiskFillsUp(LocalStorage):
        saved = 0

        def save(self, key: str, data: bytes, content_type: str) -> None:
            if self.saved == 3:
                raise StorageError("No space left on device")
            self.saved += 1
            super().save(key, data, content_type)

    with pytest.raises(StorageError):
        process_image(jpeg_bytes(2000, 1500), DiskFillsUp(tmp_path))

    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_a_missing_bucket_is_a_storage_error(s3_config):
    storage = storage_for(s3_config | {"MEDIA_S3_BUCKET": "no-such-bucket-here"})

    with pytest.raises(StorageError):
        storage.save("products/ab/cd/320.webp", b"x", "image/webp")


# Files follow the database: they go when an image's deletion commits, and only then.

def test_deleting_an_image_removes_its_row_and_its_files_when_committed(app, session, backend):
    storage = storage_for(backend)
    product = make_product(session)
    image = add_image(session, product, jpeg_bytes(900, 600), alt_text="Benk", storage=storage)
    session.commit()
    key = image.storage_key

    delete_image(session, image, storage=storage)
    assert storage.exists(f"{key}/original.jpg")  # not before the commit
    session.commit()

    assert session.get(ProductImage, image.id) is None
    assert not storage.exists(f"{key}/original.jpg") and not storage.exists(f"{key}/320.webp")


def test_a_deletion_that_is_rolled_back_keeps_the_files(app, session, backend):
    storage = storage_for(backend)
    product = make_product(session)
    image = add_image(session, product, jpeg_bytes(900, 600), alt_text="Benk", storage=storage)
    session.commit()
    key, image_id = image.storage_key, image.id

    delete_image(session, image, storage=storage)
    session.rollback()

    assert session.get(ProductImage, image_id) is not None
    assert storage.exists(f"{key}/original.jpg")
    session.commit()  # a later commit does not delete them either
    assert storage.exists(f"{key}/original.jpg")


def test_an_upload_whose_transaction_is_rolled_back_leaves_no_files(app, session, backend):
    storage = storage_for(backend)
    product = make_product(session)
    session.commit()

    image = add_image(session, product, jpeg_bytes(900, 600), alt_text="Benk", storage=storage)
    key = image.storage_key
    assert storage.exists(f"{key}/original.jpg")
    session.rollback()

    assert not storage.exists(f"{key}/original.jpg")


def test_files_shared_with_another_row_stay_when_one_row_is_deleted(app, session, tmp_path):
    # The demo and the benchmark catalogue point several products at one picture's files.
    storage = storage_for(app.config)
    first, second = make_product(session), make_product(session)
    image = add_image(session, first, jpeg_bytes(900, 600), alt_text="Benk", storage=storage)
    session.add(ProductImage(product_id=second.id, position=0, alt_text="Benk", storage_key=image.storage_key,
                             widths=image.widths, width=image.width, height=image.height))
    session.commit()

    delete_image(session, image, storage=storage)
    session.commit()

    assert storage.exists(f"{image.storage_key}/original.jpg")


# Serving: the /media/ route serves the local backend; with S3 the shop links to MEDIA_URL instead.

def test_the_media_route_serves_local_files(app, client, session):
    image = add_image(session, make_product(session), jpeg_bytes(900, 600), alt_text="Benk",
                      storage=storage_for(app.config))
    session.commit()

    answer = client.get(f"/media/{image.storage_key}/320.webp")

    assert answer.status_code == 200 and answer.mimetype == "image/webp"
    answer.close()


def test_with_s3_the_media_route_is_gone_and_pages_link_to_media_url(app, client, session, s3_config):
    app.config.update(s3_config, MEDIA_URL="https://bilder.verkstedbutikken.no/")
    product = make_product(session, title="Krakk i eik")
    image = add_image(session, product, jpeg_bytes(900, 600), alt_text="Krakk", storage=storage_for(app.config))
    session.commit()

    page = client.get(f"/produkt/{product.slug}").get_data(as_text=True)

    assert f"https://bilder.verkstedbutikken.no/{image.storage_key}/320.webp 320w" in page
    assert f"{image.storage_key}/320.webp" in objects(s3_config)
    assert client.get(f"/media/{image.storage_key}/320.webp").status_code == 404
